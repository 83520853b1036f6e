"""What an annotator's page writes: verdicts, preferences, submit, undo.

Every write names the position the page was showing and is refused when that item is no
longer open, so double clicks, reruns and stale tabs cannot write to the wrong item. An
answer is an upsert on (annotator, item, option): a repeat never duplicates, a change
updates `updated_at` and keeps `created_at`, and every change is also appended, with its
time, to the answer history (`study_history`). Writes by a revoked annotator or to a closed
study are refused like writes to an item that is not open. `study_answers` re-exports
these functions: import them from there.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Assignment, Judgment, StudyOption
from db.queries.study import (
    MAX_REASON_CHARS,
    PREFERENCE_ANSWERS,
    PREFERENCE_OPTION,
    SIDE_LABELS,
    StudyError,
    Verdict,
)
from db.queries.study_history import (
    EVENT_PREFERENCE,
    EVENT_REOPEN,
    EVENT_SUBMIT,
    EVENT_VERDICT,
    bank_open_clocks,
    elapsed,
    may_write,
    record_event,
)
from db.upsert import dialect_insert


class SubmitOutcome(enum.StrEnum):
    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"  # a double click, or another tab was first
    INCOMPLETE = "incomplete"  # an acceptability answer or the preference is missing
    UNKNOWN = "unknown"  # no such position for this annotator
    REFUSED = "refused"  # the annotator is revoked or the study is closed


def record_judgment(
    *,
    session: Session,
    annotator_id: int,
    position: int,
    side: str,
    verdict: Verdict | str | None = None,
    reason: str | None = None,
    acceptable: bool | None = None,
) -> bool:
    """Store the verdict on the edit shown on `side` (with an optional reason for "can't
    judge"); False (nothing written) if the item is not open, the annotator is revoked or
    the study is closed. `acceptable=` (a bool) is the older spelling of a verdict."""
    chosen = _verdict(verdict, acceptable)
    reason = _reason(chosen, reason)
    target = _open_option(session, annotator_id, position, side)
    if target is None:
        return False
    _, item_id, option_id = target
    now = utcnow()
    insert = dialect_insert(session, Judgment).values(
        annotator_id=annotator_id,
        item_id=item_id,
        option_id=option_id,
        acceptable=chosen.acceptable,
        reason=reason,
        created_at=now,
        updated_at=now,
    )
    changed = session.execute(
        insert.on_conflict_do_update(
            index_elements=["annotator_id", "item_id", "option_id"],
            set_={
                "acceptable": insert.excluded.acceptable,
                "reason": insert.excluded.reason,
                "updated_at": now,
            },
            # a repeated identical answer (double click) changes nothing, not even the time
            where=or_(
                Judgment.acceptable.is_distinct_from(insert.excluded.acceptable),
                Judgment.reason.is_distinct_from(insert.excluded.reason),
            ),
        ).returning(Judgment.id)
    ).first()
    if changed is not None:  # inserted or changed (RETURNING is empty when nothing changed)
        record_event(
            session,
            annotator_id=annotator_id,
            item_id=item_id,
            option_id=option_id,
            kind=EVENT_VERDICT,
            value=chosen.value,
            reason=reason,
            at=now,
        )
    return True


def _verdict(verdict: Verdict | str | None, acceptable: bool | None) -> Verdict:
    if verdict is None:
        if acceptable is None:
            raise StudyError("a judgment needs a verdict: acceptable, not_acceptable, cant_judge")
        return Verdict.ACCEPTABLE if acceptable else Verdict.NOT_ACCEPTABLE
    if acceptable is not None:
        raise StudyError("give a verdict or acceptable=, not both")
    try:
        return Verdict(verdict)
    except ValueError:
        raise StudyError(
            f"unknown verdict {verdict!r}: use acceptable, not_acceptable or cant_judge"
        ) from None


def _reason(verdict: Verdict, reason: str | None) -> str | None:
    cleaned = (reason or "").strip() or None
    if cleaned is None:
        return None
    if verdict is not Verdict.CANT_JUDGE:
        raise StudyError('a reason is kept only with a "can\'t judge" verdict')
    if len(cleaned) > MAX_REASON_CHARS:
        raise StudyError(
            f"the can't-judge reason has {len(cleaned)} characters; at most {MAX_REASON_CHARS}"
        )
    return cleaned


def record_preference(
    *, session: Session, annotator_id: int, position: int, preference: str
) -> bool:
    """Store "Which is better?" (A, B, tie, both_bad); False if the item is not open."""
    if preference not in PREFERENCE_ANSWERS:
        raise StudyError(f"unknown preference {preference!r}: use A, B, tie or both_bad")
    open_item = and_(
        Assignment.annotator_id == annotator_id,
        Assignment.position == position,
        Assignment.completed_at.is_(None),
        may_write(annotator_id),
    )
    if preference in SIDE_LABELS:
        target = _open_option(session, annotator_id, position, preference)
        if target is None:
            return False
        values: dict[str, Any] = {
            "preferred_option_id": target[2],
            "preference_kind": PREFERENCE_OPTION,
        }
    else:
        values = {"preferred_option_id": None, "preference_kind": preference}
    current = session.execute(
        select(
            Assignment.item_id, Assignment.preferred_option_id, Assignment.preference_kind
        ).where(open_item)
    ).first()
    if current is None:
        return False
    if (current.preferred_option_id, current.preference_kind) == (
        values["preferred_option_id"],
        values["preference_kind"],
    ):
        return True  # a repeat: nothing changes, nothing is logged
    result = session.execute(update(Assignment).where(open_item).values(**values))
    if not getattr(result, "rowcount", 0):
        return False
    record_event(
        session,
        annotator_id=annotator_id,
        item_id=current.item_id,
        option_id=values["preferred_option_id"],
        kind=EVENT_PREFERENCE,
        value=preference,
    )
    return True


def submit_item(*, session: Session, annotator_id: int, position: int) -> SubmitOutcome:
    """Close the item if every question is answered; the time it was open is added up."""
    answered = (
        select(func.count(Judgment.id))
        .where(Judgment.annotator_id == annotator_id, Judgment.item_id == Assignment.item_id)
        .scalar_subquery()
    )
    row = session.execute(
        select(Assignment, answered).where(
            Assignment.annotator_id == annotator_id, Assignment.position == position
        )
    ).first()
    if row is None:
        return SubmitOutcome.UNKNOWN
    assignment, judgments = row
    if not session.scalar(select(may_write(annotator_id))):
        return SubmitOutcome.REFUSED
    if assignment.completed_at is not None:
        return SubmitOutcome.ALREADY_SUBMITTED
    if judgments != 2 or assignment.preference_kind is None:
        return SubmitOutcome.INCOMPLETE
    now = utcnow()
    result = session.execute(
        update(Assignment)
        .where(
            Assignment.id == assignment.id,
            Assignment.completed_at.is_(None),
            may_write(annotator_id),
        )
        .values(
            completed_at=now,
            seconds_spent=(assignment.seconds_spent or 0.0) + elapsed(assignment.shown_at, now),
        )
    )
    if not getattr(result, "rowcount", 0):
        return SubmitOutcome.ALREADY_SUBMITTED
    record_event(
        session, annotator_id=annotator_id, item_id=assignment.item_id, kind=EVENT_SUBMIT, at=now
    )
    return SubmitOutcome.SUBMITTED


def undo_last(
    *,
    session: Session,
    annotator_id: int,
    current_position: int | None,
    skip_positions: Collection[int] = (),
) -> int | None:
    """Reopen the most recently submitted item, with its answers, for changing.

    `current_position` is the item the page shows (None on the end page); the undo happens
    only if that is still the annotator's next item, so a double click undoes one answer,
    not two. Returns the reopened position, or None when nothing was undone.
    """
    open_query = select(Assignment).where(
        Assignment.annotator_id == annotator_id, Assignment.completed_at.is_(None)
    )
    if skip_positions:
        open_query = open_query.where(Assignment.position.not_in(list(skip_positions)))
    current = session.scalar(open_query.order_by(Assignment.position).limit(1))
    if (current.position if current else None) != current_position:
        return None
    last = session.scalar(
        select(Assignment)
        .where(Assignment.annotator_id == annotator_id, Assignment.completed_at.is_not(None))
        .order_by(Assignment.completed_at.desc(), Assignment.id.desc())
        .limit(1)
    )
    if last is None:
        return None
    now = utcnow()
    reopened = session.execute(
        update(Assignment)
        .where(
            Assignment.id == last.id,
            Assignment.completed_at == last.completed_at,
            may_write(annotator_id),
        )
        .values(completed_at=None, shown_at=now)
    )
    if not getattr(reopened, "rowcount", 0):
        return None
    # Bank the time spent on the item being left, so its clock restarts on return.
    bank_open_clocks(session, annotator_id=annotator_id, except_id=last.id, now=now)
    record_event(
        session, annotator_id=annotator_id, item_id=last.item_id, kind=EVENT_REOPEN, at=now
    )
    return last.position


def _open_option(
    session: Session, annotator_id: int, position: int, side: str
) -> tuple[int, int, int] | None:
    """(assignment id, item id, option id) of the option shown on `side` of the open item at
    `position`, or None when that item is not open. One query."""
    if side not in SIDE_LABELS:
        raise StudyError(f"unknown side {side!r}: use A or B")
    side_index = SIDE_LABELS.index(side)
    # swap_sides: option 1 is shown as "A", so the option's position is side_index xor swap.
    option_position = case((Assignment.swap_sides, 1 - side_index), else_=side_index)
    row = session.execute(
        select(Assignment.id, Assignment.item_id, StudyOption.id)
        .join(StudyOption, StudyOption.item_id == Assignment.item_id)
        .where(
            Assignment.annotator_id == annotator_id,
            Assignment.position == position,
            Assignment.completed_at.is_(None),
            StudyOption.position == option_position,
            may_write(annotator_id),
        )
    ).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))
