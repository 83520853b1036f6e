"""One study item, unblinded, for the administrator: the input, both options labelled with
their method or gold role, and every annotator's answers (counted or not)."""

from __future__ import annotations

import streamlit as st
from PIL import Image
from streamlit.delta_generator import DeltaGenerator

from annotation_app import resources
from annotation_app.admin.sign_in import KEY
from annotation_app.annotator.text import escape_markdown
from db.engine import session_scope
from db.queries.study import PREFERENCE_BOTH_BAD, PREFERENCE_TIE, Verdict
from db.queries.study_items_admin import (
    AdminItem,
    AdminOption,
    AnnotatorAnswers,
    admin_item,
    image_png,
    study_item_ids,
)

NUMBER = f"{KEY}item_number"
# The answer marks the annotator page uses, so the two pages read alike.
VERDICT_TEXT = {
    Verdict.ACCEPTABLE: "✓ acceptable",
    Verdict.NOT_ACCEPTABLE: "✗ not acceptable",
    Verdict.CANT_JUDGE: "? can't judge",
}
# Small enough that the images and the answers fit a 1280x800 screen together.
IMAGE_WIDTH = 200


@st.cache_data(max_entries=64, show_spinner=False)
def stored_png(sha256: str) -> bytes | None:
    """Images are content-addressed, so a cached copy never goes stale."""
    with session_scope(resources.engine()) as session:
        return image_png(session=session, sha256=sha256)


def _step(delta: int, total: int) -> None:
    st.session_state[NUMBER] = min(total, max(1, int(st.session_state.get(NUMBER, 1)) + delta))


def choose_number(total: int) -> tuple[int, DeltaGenerator]:
    """The chosen item number, and the space beside the controls (for the item's details)."""
    if int(st.session_state.get(NUMBER, 1)) > total:  # another study, fewer items
        st.session_state[NUMBER] = total
    previous, number, following, beside = st.columns([1, 1, 1, 3], vertical_alignment="bottom")
    previous.button(
        "← Previous",
        key=f"{KEY}item_previous",
        on_click=_step,
        args=(-1, total),
        disabled=int(st.session_state.get(NUMBER, 1)) <= 1,
        use_container_width=True,
    )
    chosen = number.number_input(
        f"Item (1 to {total})", min_value=1, max_value=total, step=1, key=NUMBER
    )
    following.button(
        "Next →",
        key=f"{KEY}item_next",
        on_click=_step,
        args=(1, total),
        disabled=int(st.session_state.get(NUMBER, 1)) >= total,
        use_container_width=True,
    )
    return int(chosen), beside


def verdict_text(answers: AnnotatorAnswers, position: int) -> str:
    answer = answers.verdicts.get(position)
    if answer is None:
        return "–"
    text = VERDICT_TEXT[answer.verdict]
    if answer.verdict is Verdict.CANT_JUDGE and answer.reason:
        text = f"{text}: {answer.reason}"
    return f"{text} (seen as {answers.side_of[position]})"


def preference_text(item: AdminItem, answers: AnnotatorAnswers) -> str:
    if answers.preference is None:
        return "–"
    if answers.preference == PREFERENCE_TIE:
        return "tie"
    if answers.preference == PREFERENCE_BOTH_BAD:
        return "both bad"
    position = int(answers.preference)
    return f"{item.options[position].label} ({answers.side_of[position]})"


def status_text(answers: AnnotatorAnswers) -> str:
    state = "submitted" if answers.submitted else "open"
    return f"{state}, revoked" if answers.revoked else state


def option_caption(option: AdminOption) -> str:
    caption = f"Option {option.position}: {option.label}"
    if option.expected_acceptable is None:
        return caption
    expected = "acceptable" if option.expected_acceptable else "not acceptable"
    return f"{caption} (expected {expected})"


def show_images(item: AdminItem) -> None:
    columns = st.columns(1 + len(item.options))
    captions = [("Input", item.source_sha256)] + [
        (option_caption(option), option.image_sha256) for option in item.options
    ]
    for column, (caption, sha256) in zip(columns, captions, strict=True):
        png = stored_png(sha256)
        with column:
            # captions below the images (plain text), so the images line up however long
            # a caption is
            if png is None:
                st.warning(
                    f"{escape_markdown(caption)}: image {sha256[:12]} is missing from the store"
                )
                continue
            try:
                st.image(png, width=IMAGE_WIDTH, caption=caption)
            except (OSError, ValueError, Image.DecompressionBombError):
                # the answers are still worth reading when one stored image is broken
                st.warning(f"{escape_markdown(caption)}: image {sha256[:12]} cannot be decoded")


def show_answers(item: AdminItem) -> None:
    counted = sum(answers.counted for answers in item.answers)
    st.markdown(
        f"**Answers**: {len(item.answers)} annotators assigned, {counted} counted "
        "(submitted by an annotator who is not revoked)"
    )
    if not item.answers:
        st.info("Nobody is assigned this item.")
        return
    st.dataframe(
        [
            {
                "annotator": answers.annotator,
                "status": status_text(answers),
                "counted": "yes" if answers.counted else "no",
                **{
                    f"option {option.position}: {option.label}": verdict_text(
                        answers, option.position
                    )
                    for option in item.options
                },
                "better": preference_text(item, answers),
                "seconds": "–" if answers.seconds_spent is None else f"{answers.seconds_spent:.1f}",
            }
            for answers in item.answers
        ],
        hide_index=True,
    )


def show_item_view(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        total = len(study_item_ids(session=session, study_id=study_id))
    if total == 0:
        st.info("This study has no items.")
        return
    number, beside = choose_number(total)
    with session_scope(resources.engine()) as session:
        item = admin_item(session=session, study_id=study_id, number=number)
    kind = "gold item" if item.is_gold else "regular item"
    beside.caption(
        f"Item {item.number} of {item.total} · {kind} · sample "
        f"{escape_markdown(item.sample_external_id)} · item id {item.item_id}"
    )
    st.markdown(f"#### {escape_markdown(item.instruction)}")
    show_images(item)
    show_answers(item)
