"""The history screen: the annotator's own submitted items, newest first, each with its
answers and when it was submitted and last changed; any of them can be reopened."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from annotation_app.annotator.access import KEY, annotator_session, notify, problem_page
from annotation_app.annotator.navigation import Screen, back_to_items_button, go_to
from annotation_app.annotator.text import escape_markdown
from db.queries.study import Verdict
from db.queries.study_answers import HistoryEntry, ReopenOutcome, reopen_item, submitted_history

VERDICT_MARKS = {
    Verdict.ACCEPTABLE: "✓ acceptable",
    Verdict.NOT_ACCEPTABLE: "✗ not acceptable",
    Verdict.CANT_JUDGE: "? can't judge",
}
PREFERENCE_WORDS = {"A": "A is better", "B": "B is better", "tie": "tie", "both_bad": "both bad"}


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def describe(entry: HistoryEntry) -> str:
    """One line per answer of the entry, as markdown."""
    verdicts = ", ".join(
        f"edit {label}: {VERDICT_MARKS[v] if v else '–'}"
        for label, v in zip("AB", entry.verdicts, strict=True)
    )
    preference = PREFERENCE_WORDS.get(entry.preference or "", "–")
    changed = (
        f", last changed {_when(entry.last_changed_at)}"
        if entry.last_changed_at != entry.submitted_at
        else ""
    )
    return f"{verdicts}; {preference}  \nsubmitted {_when(entry.submitted_at)}{changed}"


def on_reopen(token: str, position: int) -> None:
    with annotator_session(token) as (session, access):
        if access is None:
            return  # the page drawn next says why the link cannot be used
        outcome = reopen_item(session=session, annotator_id=access.annotator_id, position=position)
    if outcome is ReopenOutcome.REOPENED:
        notify(f"Item {position + 1} is open again: change your answers and submit.")
        go_to(Screen.ITEM)
    elif outcome is ReopenOutcome.NOT_SUBMITTED:
        notify(f"Item {position + 1} is open already.")
        go_to(Screen.ITEM)
    else:
        st.session_state[f"{KEY}reopen_refused"] = outcome


REFUSED = {
    ReopenOutcome.STUDY_CLOSED: ("This study is closed", "Answers can no longer be changed."),
    ReopenOutcome.REVOKED: ("This link has been withdrawn", "Answers can no longer be changed."),
    ReopenOutcome.UNKNOWN: ("That item is not yours", "Nothing was changed."),
}


def show_history(token: str) -> None:
    if refused := st.session_state.pop(f"{KEY}reopen_refused", None):
        problem_page(*REFUSED[refused])
    with annotator_session(token) as (session, access):
        entries = (
            submitted_history(session=session, annotator_id=access.annotator_id)
            if access is not None
            else []
        )
    st.title("Your submitted items")
    back_to_items_button()
    if not entries:
        st.info("You have not submitted any item yet.")
        return
    for entry in entries:
        with st.container(border=True, key=f"{KEY}history_{entry.position}"):
            text, action = st.columns([5, 1])
            text.markdown(f"**Item {entry.number}**: {escape_markdown(entry.instruction)}")
            text.markdown(describe(entry))
            action.button(
                "Reopen",
                key=f"{KEY}reopen_{entry.position}",
                on_click=on_reopen,
                args=(token, entry.position),
                width="stretch",
            )
