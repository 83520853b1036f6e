"""An annotator's own answer history: the append-only change log, the list of submitted
items (reopen any of them), the study's guidelines, and who may still write.

Every change of an answer is appended to `judgment_event` with when it was made, so an
answer changed after reopening keeps both its first and its final value. Nothing here
returns a method, an edit, a gold role or an expected answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Annotator, Assignment, Judgment, Sample, Study, StudyItem, StudyOption
from db.models.enums import JudgmentEventKind
from db.models.study import JudgmentEvent
from db.queries.study import PREFERENCE_OPTION, SIDE_LABELS, Verdict

# judgment_event.kind
EVENT_VERDICT = JudgmentEventKind.VERDICT.value
EVENT_PREFERENCE = JudgmentEventKind.PREFERENCE.value
EVENT_SUBMIT = JudgmentEventKind.SUBMIT.value
EVENT_REOPEN = JudgmentEventKind.REOPEN.value


class ReopenOutcome(enum.StrEnum):
    REOPENED = "reopened"
    NOT_SUBMITTED = "not_submitted"  # the item is open already
    UNKNOWN = "unknown"  # no such position for this annotator
    STUDY_CLOSED = "study_closed"
    REVOKED = "revoked"


@dataclass(frozen=True)
class HistoryEntry:
    """One submitted item as its annotator may see it again (their own answers only)."""

    position: int
    number: int
    instruction: str
    verdicts: tuple[Verdict | None, Verdict | None]  # sides A, B
    preference: str | None  # "A", "B", "tie", "both_bad"
    submitted_at: datetime
    last_changed_at: datetime


def may_write(annotator_id: int | ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition: the annotator is not revoked and their study is not closed."""
    return exists(
        select(Annotator.id)
        .join(Study, Study.id == Annotator.study_id)
        .where(
            Annotator.id == annotator_id,
            Annotator.revoked_at.is_(None),
            Study.closed_at.is_(None),
        )
    )


def record_event(
    session: Session,
    *,
    annotator_id: int,
    item_id: int,
    kind: str,
    value: str | None = None,
    option_id: int | None = None,
    reason: str | None = None,
    at: datetime | None = None,
) -> None:
    session.add(
        JudgmentEvent(
            annotator_id=annotator_id,
            item_id=item_id,
            option_id=option_id,
            kind=kind,
            value=value,
            reason=reason,
            at=at or utcnow(),
        )
    )
    session.flush()


def study_guidelines(*, session: Session, annotator_id: int) -> str | None:
    """The markdown guidelines of the annotator's study (None when it has none)."""
    text = session.scalar(
        select(Study.guidelines)
        .join(Annotator, Annotator.study_id == Study.id)
        .where(Annotator.id == annotator_id)
    )
    return text if text and text.strip() else None


def submitted_history(*, session: Session, annotator_id: int) -> list[HistoryEntry]:
    """The annotator's submitted items, most recently submitted first."""
    last_event = (
        select(func.max(JudgmentEvent.at))
        .where(
            JudgmentEvent.annotator_id == annotator_id,
            JudgmentEvent.item_id == Assignment.item_id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Assignment, Sample.instruction, last_event)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .where(Assignment.annotator_id == annotator_id, Assignment.completed_at.is_not(None))
        .order_by(Assignment.completed_at.desc(), Assignment.position.desc())
    ).all()
    if not rows:
        return []
    item_ids = [assignment.item_id for assignment, _, _ in rows]
    options = session.execute(
        select(
            StudyOption.item_id,
            StudyOption.position,
            StudyOption.id,
            Judgment.id.is_not(None),
            Judgment.acceptable,
        )
        .outerjoin(
            Judgment,
            (Judgment.option_id == StudyOption.id) & (Judgment.annotator_id == annotator_id),
        )
        .where(StudyOption.item_id.in_(item_ids))
    ).all()
    by_item: dict[int, dict[int, tuple[int | None, Verdict | None]]] = {}
    for item_id, position, option_id, answered, acceptable in options:
        verdict = Verdict.stored(acceptable) if answered else None
        by_item.setdefault(item_id, {})[position] = (option_id, verdict)
    history = []
    for assignment, instruction, changed in rows:
        canonical = by_item.get(assignment.item_id, {})
        order = (1, 0) if assignment.swap_sides else (0, 1)
        shown = [canonical.get(position, (None, None)) for position in order]
        verdicts = tuple(verdict for _, verdict in shown)
        assert assignment.completed_at is not None  # the query selects submitted items only
        submitted = _aware(assignment.completed_at)
        history.append(
            HistoryEntry(
                position=assignment.position,
                number=assignment.position + 1,
                instruction=instruction,
                verdicts=(verdicts[0], verdicts[1]),
                preference=_preference(assignment, [option_id for option_id, _ in shown]),
                submitted_at=submitted,
                last_changed_at=max(submitted, _aware(changed)) if changed else submitted,
            )
        )
    return history


def reopen_item(*, session: Session, annotator_id: int, position: int) -> ReopenOutcome:
    """Reopen one of the annotator's submitted items, with its answers, for changing.

    The time spent so far on the item open now is banked (its clock restarts when it is
    shown again), as `undo_last` does."""
    state = session.execute(
        select(Annotator.revoked_at, Study.closed_at)
        .join(Study, Study.id == Annotator.study_id)
        .where(Annotator.id == annotator_id)
    ).first()
    if state is None:
        return ReopenOutcome.UNKNOWN
    if state.revoked_at is not None:
        return ReopenOutcome.REVOKED
    if state.closed_at is not None:
        return ReopenOutcome.STUDY_CLOSED
    target = session.scalar(
        select(Assignment).where(
            Assignment.annotator_id == annotator_id, Assignment.position == position
        )
    )
    if target is None:
        return ReopenOutcome.UNKNOWN
    if target.completed_at is None:
        return ReopenOutcome.NOT_SUBMITTED
    now = utcnow()
    reopened = session.execute(
        update(Assignment)
        .where(Assignment.id == target.id, Assignment.completed_at == target.completed_at)
        .values(completed_at=None, shown_at=now)
    )
    if not getattr(reopened, "rowcount", 0):
        return ReopenOutcome.NOT_SUBMITTED  # another tab reopened it first
    bank_open_clocks(session, annotator_id=annotator_id, except_id=target.id, now=now)
    record_event(
        session, annotator_id=annotator_id, item_id=target.item_id, kind=EVENT_REOPEN, at=now
    )
    return ReopenOutcome.REOPENED


def bank_open_clocks(session: Session, *, annotator_id: int, except_id: int, now: datetime) -> None:
    """Add the running time of the annotator's open items (but `except_id`) to their
    total and stop their clocks: the item being left restarts its clock on return."""
    running = session.scalars(
        select(Assignment).where(
            Assignment.annotator_id == annotator_id,
            Assignment.completed_at.is_(None),
            Assignment.shown_at.is_not(None),
            Assignment.id != except_id,
        )
    ).all()
    for item in running:
        session.execute(
            update(Assignment)
            .where(Assignment.id == item.id, Assignment.shown_at == item.shown_at)
            .values(
                seconds_spent=(item.seconds_spent or 0.0) + elapsed(item.shown_at, now),
                shown_at=None,
            )
        )


def elapsed(shown_at: datetime | None, now: datetime) -> float:
    if shown_at is None:
        return 0.0
    return max(0.0, (now - _aware(shown_at)).total_seconds())


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; they were stored as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _preference(assignment: Assignment, option_ids_in_side_order: list[int | None]) -> str | None:
    if assignment.preference_kind is None:
        return None
    if assignment.preference_kind == PREFERENCE_OPTION:
        if assignment.preferred_option_id not in option_ids_in_side_order:
            return None
        return SIDE_LABELS[option_ids_in_side_order.index(assignment.preferred_option_id)]
    return assignment.preference_kind
