"""The annotator's page: one item at a time, in the annotator's own random order.

Shows the input image, the instruction and two edits under the neutral labels A and B; asks
per edit "Is this an acceptable edit for the instruction?" and "Which is better?". Every
click is stored at once (so a refresh resumes exactly), Submit closes the item, Undo reopens
the last submitted one. Keyboard: 1/2 edit A yes/no, 3/4 edit B yes/no, A/B/T/X preference,
Enter submit, U undo.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import streamlit as st
from sqlalchemy.orm import Session

from annotation_app import resources
from annotation_app.blind_images import (
    ImageUnavailable,
    blind_item_images,
    prefetch_next_item,
)
from db.engine import session_scope
from db.queries.study_annotators import AccessProblem, AnnotatorAccess, authenticate
from db.queries.study_answers import (
    ItemImageMissing,
    ItemView,
    NothingToShow,
    SubmitOutcome,
    load_next_item,
    mark_shown,
    record_judgment,
    record_preference,
    submit_item,
    undo_last,
)

KEY = "annotate_"  # prefix of this page's session-state keys
ACCEPTABILITY_KEYS = {"A": ("1", "2"), "B": ("3", "4")}  # (yes, no) shortcut per side
PREFERENCES = (("A", "A is better", "A"), ("B", "B is better", "B"), ("tie", "Tie", "T"),
               ("both_bad", "Both bad", "X"))  # fmt: skip
MARKDOWN_SPECIALS = "\\`*_{}[]()#+-.!|<>~$"


def escape_markdown(text: str) -> str:
    return "".join(f"\\{char}" if char in MARKDOWN_SPECIALS else char for char in text)


def problem_page(title: str, explanation: str) -> NoReturn:
    """A clear page for anything that stops annotation: no trace, nothing written."""
    st.title(title)
    st.info(explanation)
    st.stop()


def skipped() -> set[int]:
    """Positions found unavailable in this browser session (never written anywhere)."""
    return st.session_state.setdefault(f"{KEY}unavailable", set())


@contextmanager
def annotator_session(token: str) -> Iterator[tuple[Session, AnnotatorAccess | None]]:
    """One transaction: who holds `token` (None if nobody may use it), and the session."""
    with session_scope(resources.engine()) as session:
        access = authenticate(session=session, token=token)
        yield session, access if isinstance(access, AnnotatorAccess) else None


ALREADY_SUBMITTED = (
    "That item was already submitted (perhaps in another tab). Here is your next one."
)


def notify(message: str) -> None:
    st.session_state[f"{KEY}notice"] = message


# --- callbacks: run before the page is redrawn; each names the item it was drawn for ---


def on_judgment(token: str, position: int, side: str, acceptable: bool) -> None:
    with annotator_session(token) as (session, access):
        if access is None:
            return
        stored = record_judgment(
            session=session,
            annotator_id=access.annotator_id,
            position=position,
            side=side,
            acceptable=acceptable,
        )
    if not stored:
        notify(ALREADY_SUBMITTED)


def on_preference(token: str, position: int, preference: str) -> None:
    with annotator_session(token) as (session, access):
        if access is None:
            return
        stored = record_preference(
            session=session,
            annotator_id=access.annotator_id,
            position=position,
            preference=preference,
        )
    if not stored:
        notify(ALREADY_SUBMITTED)


def on_submit(token: str, position: int) -> None:
    with annotator_session(token) as (session, access):
        if access is None:
            return
        outcome = submit_item(session=session, annotator_id=access.annotator_id, position=position)
    if outcome is SubmitOutcome.INCOMPLETE:
        notify("Please answer both questions about each edit and which is better, then submit.")


def on_undo(token: str, current_position: int | None) -> None:
    with annotator_session(token) as (session, access):
        if access is None:
            return
        reopened = undo_last(
            session=session,
            annotator_id=access.annotator_id,
            current_position=current_position,
            skip_positions=skipped(),
        )
    if reopened is not None:
        notify(f"Item {reopened + 1} is open again: change your answers and submit.")


def on_skip_unavailable(position: int) -> None:
    skipped().add(position)


# --- the page ---


def undo_button(token: str, current_position: int | None, enabled: bool) -> None:
    st.button(
        "Undo last answer",
        key=f"{KEY}undo",
        shortcut="U",
        disabled=not enabled,
        on_click=on_undo,
        args=(token, current_position),
    )


def show_end(token: str, end: NothingToShow) -> None:
    if end.total == 0:
        problem_page(
            "Nothing to do yet",
            "No items have been assigned to you in this study. "
            "Please contact the study administrator.",
        )
    if end.finished:
        st.title("All done: thank you!")
        st.progress(1.0, text=f"{end.completed} of {end.total}")
        st.success(f"You answered all {end.total} items. You can close this page.")
    else:
        st.title("Some items cannot be shown")
        st.warning(
            f"You answered {end.completed} of {end.total} items; the remaining ones cannot be "
            "shown right now because an image is unavailable. Please tell the study "
            "administrator; your answers so far are saved."
        )
    undo_button(token, None, end.can_undo)


def show_unavailable(number: int, total: int, position: int) -> NoReturn:
    st.title(f"Item {number} of {total} cannot be shown")
    st.warning(
        "An image of this item is unavailable. Nothing was recorded for it. Please tell "
        "the study administrator; you can go on with the next item."
    )
    st.button(
        "Continue with the next item",
        key=f"{KEY}skip",
        on_click=on_skip_unavailable,
        args=(position,),
    )
    st.stop()


def show_item(token: str, view: ItemView, images: tuple[bytes, bytes, bytes]) -> None:
    source, *edits = images
    st.progress(view.completed / view.total, text=f"{view.number} of {view.total}")
    st.markdown(f"**Instruction:** {escape_markdown(view.instruction)}")
    # One row: the input and both edits at the same size, so the whole item fits a screen.
    input_column, *edit_columns = st.columns(3)
    with input_column:
        st.image(
            source, caption="Input image", alt="Input image", width="stretch", output_format="PNG"
        )
    for column, side, edit in zip(edit_columns, view.sides, edits, strict=True):
        with column:
            st.image(
                edit,
                caption=f"Edit {side.label}",
                alt=f"Edit {side.label}",
                width="stretch",
                output_format="PNG",
            )
            st.markdown(f"Is edit **{side.label}** an acceptable edit for the instruction?")
            yes_key, no_key = ACCEPTABILITY_KEYS[side.label]
            yes, no = st.columns(2)
            for where, value, label, shortcut in (
                (yes, True, "Acceptable", yes_key),
                (no, False, "Not acceptable", no_key),
            ):
                where.button(
                    label,
                    key=f"{KEY}{view.position}_{side.label}_{'yes' if value else 'no'}",
                    shortcut=shortcut,
                    type="primary" if side.acceptable is value else "secondary",
                    on_click=on_judgment,
                    args=(token, view.position, side.label, value),
                    width="stretch",
                )
    st.markdown("**Which is better?**")
    for where, (preference, label, shortcut) in zip(st.columns(4), PREFERENCES, strict=True):
        where.button(
            label,
            key=f"{KEY}{view.position}_pref_{preference}",
            shortcut=shortcut,
            type="primary" if view.preference == preference else "secondary",
            on_click=on_preference,
            args=(token, view.position, preference),
            width="stretch",
        )
    submit, undo = st.columns(2)
    with submit:
        st.button(
            "Submit",
            key=f"{KEY}{view.position}_submit",
            shortcut="Enter",
            type="primary",
            disabled=not view.answered,
            on_click=on_submit,
            args=(token, view.position),
        )
    with undo:
        undo_button(token, view.position, view.can_undo)
    st.caption(
        "Keys: 1 / 2 edit A acceptable / not, 3 / 4 edit B acceptable / not, "
        "A, B, T (tie), X (both bad), Enter submit, U undo."
    )


def main() -> None:
    token = st.query_params.get("token")
    if not token:
        problem_page(
            "Please use your personal link",
            "This page needs the personal link you were sent (it ends in ?token=…).",
        )
    try:
        with session_scope(resources.engine()) as session:
            access = authenticate(session=session, token=token)
            view = (
                load_next_item(
                    session=session, annotator_id=access.annotator_id, skip_positions=skipped()
                )
                if isinstance(access, AnnotatorAccess)
                else None
            )
    except ItemImageMissing as missing:
        show_unavailable(missing.position + 1, missing.total, missing.position)
    if access is AccessProblem.UNKNOWN:
        problem_page(
            "This link is not valid",
            "Check that you opened the whole link you were sent, or ask the study "
            "administrator for a new one.",
        )
    if access is AccessProblem.REVOKED:
        problem_page(
            "This link has been withdrawn",
            "The study administrator has closed this link. Please contact them if you think "
            "this is a mistake.",
        )
    assert isinstance(access, AnnotatorAccess) and view is not None
    if notice := st.session_state.pop(f"{KEY}notice", None):
        st.info(notice)
    if isinstance(view, NothingToShow):
        show_end(token, view)
        return
    try:
        images = blind_item_images(access.annotator_id, view)
    except ImageUnavailable:
        show_unavailable(view.number, view.total, view.position)
    if not view.started:
        with session_scope(resources.engine()) as session:
            mark_shown(session=session, annotator_id=access.annotator_id, position=view.position)
    show_item(token, view, images)
    if not view.started:
        prefetch_next_item(access.annotator_id, view, skipped())


main()
