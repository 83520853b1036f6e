"""What an annotator's page reads and writes. Blind by construction.

The page knows an item only by its `position` in the annotator's personal random order, and
an edit only by its side label ("A"/"B"); which option a side shows is resolved here from
`Assignment.swap_sides`. No option, edit, config or gold information is ever returned.

The page imports everything from here: the reads are defined here, the writes in
`study_writes` and the history, reopening and guidelines in `study_history`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Assignment, Image, Judgment, Sample, Study, StudyItem, StudyOption
from db.queries.study import (
    PREFERENCE_OPTION,
    SIDE_LABELS,
    StudyError,
    Verdict,
)
from db.queries.study_history import (
    HistoryEntry,
    ReopenOutcome,
    reopen_item,
    study_guidelines,
    submitted_history,
)
from db.queries.study_writes import (
    SubmitOutcome,
    record_judgment,
    record_preference,
    submit_item,
    undo_last,
)

__all__ = [
    "HistoryEntry",
    "ItemImageMissing",
    "ItemView",
    "NothingToShow",
    "ReopenOutcome",
    "SideView",
    "SubmitOutcome",
    "item_images",
    "load_next_item",
    "mark_shown",
    "progress",
    "record_judgment",
    "record_preference",
    "reopen_item",
    "study_guidelines",
    "submit_item",
    "submitted_history",
    "undo_last",
]


@dataclass(frozen=True)
class SideView:
    label: str  # "A" or "B"
    verdict: Verdict | None = None  # this annotator's answer so far
    reason: str | None = None  # the optional reason given with "can't judge"

    @property
    def acceptable(self) -> bool | None:
        """The answer as a vote: None when unanswered or "can't judge"."""
        return None if self.verdict is None else self.verdict.acceptable


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
    guidelines_available: bool = False

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def answered(self) -> bool:
        """Both sides have a verdict (can't judge included) and the preference is set."""
        return self.preference is not None and all(s.verdict is not None for s in self.sides)


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
    has_guidelines = func.coalesce(func.length(Study.guidelines), 0) > 0
    query = (
        select(Assignment, Sample.instruction, Sample.source_image)
        .add_columns(Image.width, Image.height, source_stored)
        .add_columns(total, completed, has_guidelines)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Study, Study.id == StudyItem.study_id)
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
    assignment, instruction, source_sha, width, height, has_source, assigned, done, guides = row

    options = session.execute(
        select(
            StudyOption.id,
            StudyOption.position,
            func.coalesce(func.length(Image.data), 0) > 0,
            Judgment.id.is_not(None).label("answered"),
            Judgment.acceptable,
            Judgment.reason,
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
        SideView(
            label=label,
            verdict=Verdict.stored(option.acceptable) if option.answered else None,
            reason=option.reason,
        )
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
        guidelines_available=bool(guides),
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
