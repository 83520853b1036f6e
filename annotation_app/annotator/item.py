"""One item on screen: the instruction as the most prominent text, the input and both edits
in one row at the same size, a verdict per edit, the preference and Submit."""

from __future__ import annotations

import streamlit as st

from annotation_app.annotator.access import KEY
from annotation_app.annotator.answers import (
    on_judgment,
    on_preference,
    on_reason,
    on_submit,
    on_undo,
    reason_key,
)
from annotation_app.annotator.compare import flicker_button, showing_input
from annotation_app.annotator.layout import apply_item_layout
from annotation_app.annotator.navigation import Screen, screen_button
from annotation_app.annotator.text import escape_markdown
from db.queries.study import MAX_REASON_CHARS, Verdict
from db.queries.study_answers import ItemView, SideView

# (verdict, button label with its mark, key suffix); the mark makes a selected verdict
# readable without colour.
VERDICTS = (
    (Verdict.ACCEPTABLE, "✓ Acceptable", "yes"),
    (Verdict.NOT_ACCEPTABLE, "✗ Not acceptable", "no"),
    (Verdict.CANT_JUDGE, "? Can't judge", "cant"),
)
VERDICT_SHORTCUTS = {
    "A": {"yes": "1", "no": "2", "cant": "5"},
    "B": {"yes": "3", "no": "4", "cant": "6"},
}
PREFERENCES = (("A", "A is better", "A"), ("B", "B is better", "B"), ("tie", "Tie", "T"),
               ("both_bad", "Both bad", "X"))  # fmt: skip
KEY_HINTS = (
    "Keys: 1 / 2 / 5 edit A acceptable / not / can't judge, 3 / 4 / 6 the same for edit B, "
    "A, B, T (tie), X (both bad), F flicker, Enter submit, U undo, G guidelines, H history."
)


def undo_button(token: str, current_position: int | None, enabled: bool) -> None:
    st.button(
        "Undo last answer",
        key=f"{KEY}undo",
        shortcut="U",
        disabled=not enabled,
        on_click=on_undo,
        args=(token, current_position),
        width="stretch",
    )


def _verdict_buttons(token: str, view: ItemView, side: SideView) -> None:
    st.markdown(f"Is edit **{side.label}** acceptable for the instruction?")
    columns = st.columns([1.05, 1.25, 1.05], gap="small")
    for where, (verdict, label, suffix) in zip(columns, VERDICTS, strict=True):
        where.button(
            label,
            key=f"{KEY}{view.position}_{side.label}_{suffix}",
            shortcut=VERDICT_SHORTCUTS[side.label][suffix],
            type="primary" if side.verdict is verdict else "secondary",
            on_click=on_judgment,
            args=(token, view.position, side.label, verdict),
            width="stretch",
        )
    if side.verdict is Verdict.CANT_JUDGE:
        key = reason_key(view.position, side.label)
        st.session_state.setdefault(key, side.reason or "")
        st.text_input(
            f"Why can't you judge edit {side.label}? (optional)",
            key=key,
            max_chars=MAX_REASON_CHARS,
            placeholder=f"Why can't you judge edit {side.label}? (optional, Enter to save)",
            label_visibility="collapsed",
            on_change=on_reason,
            args=(token, view.position, side.label),
        )


def _preference_row(token: str, view: ItemView) -> None:
    question, *answers, _, submit, undo = st.columns([1.3, 1, 1, 1, 1, 0.3, 1.4, 1.4])
    question.markdown("**Which is better?**")
    for where, (preference, label, shortcut) in zip(answers, PREFERENCES, strict=True):
        where.button(
            label,
            key=f"{KEY}{view.position}_pref_{preference}",
            shortcut=shortcut,
            type="primary" if view.preference == preference else "secondary",
            on_click=on_preference,
            args=(token, view.position, preference),
            width="stretch",
        )
    with submit:
        # Always enabled: an incomplete submit is answered with what is missing.
        st.button(
            "Submit",
            key=f"{KEY}{view.position}_submit",
            shortcut="Enter",
            type="primary",
            on_click=on_submit,
            args=(token, view.position),
            width="stretch",
        )
    with undo:
        undo_button(token, view.position, view.can_undo)


def _top_bar(view: ItemView) -> None:
    bar, guidelines, history = st.columns([6, 1, 1], vertical_alignment="center")
    bar.progress(view.completed / view.total, text=f"{view.number} of {view.total}")
    with guidelines:
        screen_button(Screen.GUIDELINES, "Guidelines", "G")
    with history:
        screen_button(Screen.HISTORY, "History", "H")


def show_item(token: str, view: ItemView, images: tuple[bytes, bytes, bytes]) -> None:
    reasons_shown = sum(side.verdict is Verdict.CANT_JUDGE for side in view.sides)
    apply_item_layout(reason_rows=1 if reasons_shown else 0)
    source, *edits = images
    _top_bar(view)
    with st.container(key=f"{KEY}instruction"):
        st.header(escape_markdown(view.instruction), anchor=False)
    flickered = showing_input(view.position)
    input_column, *edit_columns = st.columns(3)
    with input_column:
        st.image(
            source, caption="Input image", alt="Input image", width="stretch", output_format="PNG"
        )
        flicker_button(view.position)
    for column, side, edit in zip(edit_columns, view.sides, edits, strict=True):
        with column:
            shown, caption = (
                (source, f"Input image (in place of edit {side.label})")
                if flickered
                else (edit, f"Edit {side.label}")
            )
            st.image(shown, caption=caption, alt=caption, width="stretch", output_format="PNG")
            _verdict_buttons(token, view, side)
    _preference_row(token, view)
    st.caption(KEY_HINTS)
