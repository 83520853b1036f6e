"""The callbacks that write answers. They run before the page is redrawn, and each names the
item it was drawn for, so a stale tab or a double click never writes to the wrong item."""

from __future__ import annotations

import streamlit as st

from annotation_app.annotator.access import KEY, annotator_session, notify, skipped
from db.queries.study import Verdict
from db.queries.study_answers import (
    ItemView,
    SubmitOutcome,
    load_next_item,
    record_judgment,
    record_preference,
    submit_item,
    undo_last,
)

ALREADY_SUBMITTED = (
    "That item was already submitted (perhaps in another tab). Here is your next one."
)


def missing_answers(view: ItemView) -> list[str]:
    """What still has to be answered before `view` can be submitted, in page order."""
    missing = [f"is edit {side.label} acceptable?" for side in view.sides if side.verdict is None]
    if view.preference is None:
        missing.append("which is better?")
    return missing


def incomplete_message(missing: list[str]) -> str:
    return "Not submitted yet. Still to answer: " + "; ".join(missing)


def on_judgment(token: str, position: int, side: str, verdict: Verdict) -> None:
    # A reason already typed stays with "can't judge" (pressing its key again keeps it).
    typed = str(st.session_state.get(reason_key(position, side), "")).strip()
    with annotator_session(token) as (session, access):
        if access is None:
            return
        stored = record_judgment(
            session=session,
            annotator_id=access.annotator_id,
            position=position,
            side=side,
            verdict=verdict,
            reason=(typed or None) if verdict is Verdict.CANT_JUDGE else None,
        )
    if not stored:
        notify(ALREADY_SUBMITTED)


def reason_key(position: int, side: str) -> str:
    return f"{KEY}{position}_{side}_reason"


def on_reason(token: str, position: int, side: str) -> None:
    """Store the optional reason typed for "can't judge" (the verdict stays)."""
    on_judgment(token, position, side, Verdict.CANT_JUDGE)


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
        if outcome is not SubmitOutcome.INCOMPLETE:
            return
        # Read again inside the same transaction: what is missing now, not when drawn.
        current = load_next_item(
            session=session, annotator_id=access.annotator_id, skip_positions=skipped()
        )
    missing = (
        missing_answers(current)
        if isinstance(current, ItemView) and current.position == position
        else []
    )
    notify(incomplete_message(missing or ["every question about both edits"]))


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
