"""What an annotator's page reads and writes. Blind by construction.

The page knows an item only by its `position` in the annotator's personal random order, and
an edit only by its side label ("A"/"B"); which option a side shows is resolved here from
`Assignment.swap_sides`. No option, edit, config or gold information is ever returned.

Every write names the position the page was showing and is refused when that item is no
longer open, so double clicks, reruns and stale tabs cannot write to the wrong item. An
answer is an upsert on (annotator, item, option): a repeat never duplicates, a change
updates `updated_at` and keeps `created_at`.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Assignment, Image, Judgment, Sample, StudyItem, StudyOption
from db.queries.study import (
    PREFERENCE_ANSWERS,
    PREFERENCE_OPTION,
    SIDE_LABELS,
    StudyError,
)


@dataclass(frozen=True)
class SideView:
    label: str  # "A" or "B"
    acceptable: bool | None  # this annotator's answer so far


@dataclass(frozen=True)
class ItemView:
    """One item as the annotator sees it. Its images are fetched separately, by the same
    handle (annotator, position), with `item_images`, so a page can cache them per item and
    a rerun after each click reads no image bytes."""

    position: int  # the annotator's own random order: a handle that reveals nothing
    total: int
    completed: int
    instruction: str
    source_size: tuple[int, int]  # (width, height): every image is shown at this size
    sides: tuple[SideView, SideView]
    preference: str | None  # "A", "B", "tie", "both_bad" or None
    can_undo: bool
    started: bool  # its clock is running (shown before)
    # Opaque and unique to this assignment's images: a safe cache key (a hash, revealing
    # nothing) even if a database is rebuilt under a running app and ids repeat.
    images_key: str

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def answered(self) -> bool:
        return self.preference is not None and all(s.acceptable is not None for s in self.sides)


@dataclass(frozen=True)
class NothingToShow:
    """No open item is left to show: finished, or only unavailable items remain."""

    total: int
    completed: int
    can_undo: bool

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.completed == self.total


class ItemImageMissing(StudyError):
    """An image of the item at `position` is not in the image store."""

    def __init__(self, position: int, total: int) -> None:
        super().__init__(f"item {position + 1} of {total}: an image is missing from the store")
        self.position = position
        self.total = total


class SubmitOutcome(enum.StrEnum):
    SUBMITTED = "submitted"
    ALREADY_SUBMITTED = "already_submitted"  # a double click, or another tab was first
    INCOMPLETE = "incomplete"  # an acceptability answer or the preference is missing
    UNKNOWN = "unknown"  # no such position for this annotator


def load_next_item(
    *, session: Session, annotator_id: int, skip_positions: Collection[int] = ()
) -> ItemView | NothingToShow:
    """The first open item of the annotator's order (skipping `skip_positions`, the items
    this page already found unavailable), with the answers given so far. Writes nothing.

    Two queries (round trips dominate on a busy server): the item with the progress counts
    and its source image's size; its options with this annotator's answers and whether
    their images are present."""
    mine = Assignment.annotator_id == annotator_id
    total = select(func.count(Assignment.id)).where(mine).scalar_subquery()
    completed = select(func.count(Assignment.completed_at)).where(mine).scalar_subquery()
    source_stored = func.coalesce(func.length(Image.data), 0) > 0
    query = (
        select(Assignment, Sample.instruction, Sample.source_image)
        .add_columns(Image.width, Image.height, source_stored)
        .add_columns(total, completed)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .outerjoin(Image, Image.sha256 == Sample.source_image)
        .where(mine, Assignment.completed_at.is_(None))
    )
    if skip_positions:
        query = query.where(Assignment.position.not_in(list(skip_positions)))
    row = session.execute(query.order_by(Assignment.position).limit(1)).first()
    if row is None:
        assigned, done = progress(session=session, annotator_id=annotator_id)
        return NothingToShow(total=assigned, completed=done, can_undo=done > 0)
    assignment, instruction, source_sha, width, height, has_source, assigned, done = row

    options = session.execute(
        select(
            StudyOption.id,
            StudyOption.position,
            func.coalesce(func.length(Image.data), 0) > 0,
            Judgment.acceptable,
        )
        .outerjoin(Image, Image.sha256 == StudyOption.image_sha256)
        .outerjoin(
            Judgment,
            and_(Judgment.option_id == StudyOption.id, Judgment.annotator_id == annotator_id),
        )
        .where(StudyOption.item_id == assignment.item_id)
        .order_by(StudyOption.position)
    ).all()
    if not has_source or len(options) != 2 or not all(option[2] for option in options):
        raise ItemImageMissing(assignment.position, int(assigned))
    shown = _options_in_side_order(list(options), assignment.swap_sides)
    sides = tuple(
        SideView(label=label, acceptable=option.acceptable)
        for label, option in zip(SIDE_LABELS, shown, strict=True)
    )
    return ItemView(
        position=assignment.position,
        total=int(assigned),
        completed=int(done),
        instruction=instruction,
        source_size=(int(width), int(height)),
        sides=(sides[0], sides[1]),
        preference=_preference_answer(assignment, [option.id for option in shown]),
        can_undo=int(done) > 0,
        started=assignment.shown_at is not None,
        images_key=hashlib.sha256(
            f"{assignment.id}/{assignment.item_id}/{assignment.swap_sides}/{source_sha}".encode()
        ).hexdigest()[:32],
    )


def item_images(
    *, session: Session, annotator_id: int, position: int
) -> tuple[bytes, bytes, bytes]:
    """The PNG bytes of (source, side A, side B) of the annotator's item at `position`."""
    row = session.execute(
        select(Assignment.item_id, Assignment.swap_sides, Sample.source_image)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .where(Assignment.annotator_id == annotator_id, Assignment.position == position)
    ).first()
    if row is None:
        raise StudyError(f"annotator {annotator_id} has no item at position {position}")
    item_id, swap_sides, source_sha = row
    by_position = dict(
        session.execute(
            select(StudyOption.position, Image.data)
            .join(Image, Image.sha256 == StudyOption.image_sha256)
            .where(StudyOption.item_id == item_id)
        ).all()
    )
    source = session.scalar(select(Image.data).where(Image.sha256 == source_sha))
    a, b = (1, 0) if swap_sides else (0, 1)
    if not source or not by_position.get(a) or not by_position.get(b):
        raise ItemImageMissing(position, progress(session=session, annotator_id=annotator_id)[0])
    return source, by_position[a], by_position[b]


def progress(*, session: Session, annotator_id: int) -> tuple[int, int]:
    """(assigned, completed) for the annotator."""
    total, completed = session.execute(
        select(func.count(Assignment.id), func.count(Assignment.completed_at)).where(
            Assignment.annotator_id == annotator_id
        )
    ).one()
    return int(total), int(completed)


def mark_shown(*, session: Session, annotator_id: int, position: int) -> None:
    """Start the item's clock the first time it is shown (kept across refreshes)."""
    session.execute(
        update(Assignment)
        .where(
            Assignment.annotator_id == annotator_id,
            Assignment.position == position,
            Assignment.completed_at.is_(None),
            Assignment.shown_at.is_(None),
        )
        .values(shown_at=utcnow())
    )


def record_judgment(
    *, session: Session, annotator_id: int, position: int, side: str, acceptable: bool
) -> bool:
    """Store "is the edit on `side` acceptable?"; False (nothing written) if the item is not
    open any more."""
    target = _open_option(session, annotator_id, position, side)
    if target is None:
        return False
    _, item_id, option_id = target
    now = utcnow()
    insert = _insert_for(session)(Judgment).values(
        annotator_id=annotator_id,
        item_id=item_id,
        option_id=option_id,
        acceptable=acceptable,
        created_at=now,
        updated_at=now,
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["annotator_id", "item_id", "option_id"],
            set_={"acceptable": insert.excluded.acceptable, "updated_at": now},
            # a repeated identical answer (double click) changes nothing, not even the time
            where=Judgment.acceptable != insert.excluded.acceptable,
        )
    )
    return True


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
    result = session.execute(update(Assignment).where(open_item).values(**values))
    return bool(getattr(result, "rowcount", 0))


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
    if assignment.completed_at is not None:
        return SubmitOutcome.ALREADY_SUBMITTED
    if judgments != 2 or assignment.preference_kind is None:
        return SubmitOutcome.INCOMPLETE
    now = utcnow()
    result = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.completed_at.is_(None))
        .values(
            completed_at=now,
            seconds_spent=(assignment.seconds_spent or 0.0) + _elapsed(assignment.shown_at, now),
        )
    )
    if not getattr(result, "rowcount", 0):
        return SubmitOutcome.ALREADY_SUBMITTED
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
        .where(Assignment.id == last.id, Assignment.completed_at == last.completed_at)
        .values(completed_at=None, shown_at=now)
    )
    if not getattr(reopened, "rowcount", 0):
        return None
    if current is not None and current.shown_at is not None:
        # Bank the time spent on the item being left, so its clock restarts on return.
        session.execute(
            update(Assignment)
            .where(Assignment.id == current.id, Assignment.shown_at == current.shown_at)
            .values(
                seconds_spent=(current.seconds_spent or 0.0) + _elapsed(current.shown_at, now),
                shown_at=None,
            )
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
        )
    ).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))


def _options_in_side_order(options: list[Any], swap_sides: bool) -> list[Any]:
    # swap_sides: option 1 is shown as "A".
    return list(reversed(options)) if swap_sides else list(options)


def _preference_answer(assignment: Assignment, option_ids_in_side_order: list[int]) -> str | None:
    if assignment.preference_kind is None:
        return None
    if assignment.preference_kind == PREFERENCE_OPTION:
        if assignment.preferred_option_id not in option_ids_in_side_order:
            return None
        return SIDE_LABELS[option_ids_in_side_order.index(int(assignment.preferred_option_id))]
    return assignment.preference_kind


def _insert_for(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return pg_insert
    if dialect == "sqlite":
        return sqlite_insert
    raise StudyError(f"answers need INSERT ... ON CONFLICT: {dialect} is not supported")


def _elapsed(shown_at: datetime | None, now: datetime) -> float:
    if shown_at is None:
        return 0.0
    if shown_at.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
        shown_at = shown_at.replace(tzinfo=UTC)
    return max(0.0, (now - shown_at).total_seconds())
