"""What an annotator's page reads and writes. Blind by construction.

The page knows an item only by its `position` in the annotator's personal random order, and
an edit only by its side label ("A"/"B"); which option a side shows is resolved here from
`Assignment.swap_sides`. No option, edit, config or gold information is ever returned.

The page imports everything from here: the reads are defined here, the writes in
`study_writes` and the history, reopening and guidelines in `study_history`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased

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

    One query, one row per option (round trips dominate on a busy server): the item with
    the progress counts, its source image's size, its options with this annotator's
    answers and whether their images are present. A second query, for the counts, only
    when no item is left."""
    parameters: dict[str, Any] = {"annotator_id": annotator_id}
    if skip_positions:
        parameters["skip_positions"] = list(skip_positions)
    rows = session.execute(_next_item_query(skipping=bool(skip_positions)), parameters).all()
    if not rows:
        assigned, done = progress(session=session, annotator_id=annotator_id)
        return NothingToShow(total=assigned, completed=done, can_undo=done > 0)
    item = rows[0]
    options = [row for row in rows if row.option_id is not None]
    if not item.source_stored or len(options) != 2 or not all(o.option_stored for o in options):
        raise ItemImageMissing(item.position, int(item.total))
    shown = _options_in_side_order(options, item.swap_sides)
    sides = tuple(
        SideView(
            label=label,
            verdict=Verdict.stored(option.acceptable) if option.answered else None,
            reason=option.reason,
        )
        for label, option in zip(SIDE_LABELS, shown, strict=True)
    )
    return ItemView(
        position=item.position,
        total=int(item.total),
        completed=int(item.completed),
        instruction=item.instruction,
        source_size=(int(item.width), int(item.height)),
        sides=(sides[0], sides[1]),
        preference=_preference_answer(
            item.preference_kind, item.preferred_option_id, [o.option_id for o in shown]
        ),
        can_undo=int(item.completed) > 0,
        started=item.shown_at is not None,
        images_key=hashlib.sha256(
            f"{item.assignment_id}/{item.item_id}/{item.swap_sides}/{item.source_image}".encode()
        ).hexdigest()[:32],
        guidelines_available=bool(item.has_guidelines),
    )


# Built once per shape, with bound parameters: constructing this many-join statement cost
# more CPU than PostgreSQL spends running it (it is read on every rerun of the page).
@functools.cache
def _next_item_query(*, skipping: bool) -> Select[*tuple[Any, ...]]:
    annotator_id = bindparam("annotator_id", type_=Integer)
    mine = Assignment.annotator_id == annotator_id
    open_items = aliased(Assignment)
    first_open = (
        select(open_items.id)
        .where(open_items.annotator_id == annotator_id, open_items.completed_at.is_(None))
        .order_by(open_items.position)
        .limit(1)
    )
    if skipping:
        skipped = bindparam("skip_positions", type_=Integer, expanding=True)
        first_open = first_open.where(open_items.position.not_in(skipped))
    total = select(func.count(Assignment.id)).where(mine).scalar_subquery()
    completed = select(func.count(Assignment.completed_at)).where(mine).scalar_subquery()
    source, option_image = aliased(Image), aliased(Image)
    return (
        select(
            Assignment.id.label("assignment_id"),
            Assignment.item_id,
            Assignment.position,
            Assignment.swap_sides,
            Assignment.shown_at,
            Assignment.preference_kind,
            Assignment.preferred_option_id,
            Sample.instruction,
            Sample.source_image,
            source.width,
            source.height,
            (func.coalesce(func.length(source.data), 0) > 0).label("source_stored"),
            total.label("total"),
            completed.label("completed"),
            (func.coalesce(func.length(Study.guidelines), 0) > 0).label("has_guidelines"),
            StudyOption.id.label("option_id"),
            (func.coalesce(func.length(option_image.data), 0) > 0).label("option_stored"),
            Judgment.id.is_not(None).label("answered"),
            Judgment.acceptable,
            Judgment.reason,
        )
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Study, Study.id == StudyItem.study_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .outerjoin(source, source.sha256 == Sample.source_image)
        .outerjoin(StudyOption, StudyOption.item_id == Assignment.item_id)
        .outerjoin(option_image, option_image.sha256 == StudyOption.image_sha256)
        .outerjoin(
            Judgment,
            and_(Judgment.option_id == StudyOption.id, Judgment.annotator_id == annotator_id),
        )
        .where(Assignment.id == first_open.scalar_subquery())
        .order_by(StudyOption.position)
    )


def item_images(
    *, session: Session, annotator_id: int, position: int
) -> tuple[bytes, bytes, bytes]:
    """The PNG bytes of (source, side A, side B) of the annotator's item at `position`, in
    one query."""
    source, first, second = aliased(Image), aliased(Image), aliased(Image)
    option_0, option_1 = aliased(StudyOption), aliased(StudyOption)
    row = session.execute(
        select(Assignment.swap_sides, source.data, first.data, second.data)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .outerjoin(source, source.sha256 == Sample.source_image)
        .outerjoin(option_0, and_(option_0.item_id == Assignment.item_id, option_0.position == 0))
        .outerjoin(first, first.sha256 == option_0.image_sha256)
        .outerjoin(option_1, and_(option_1.item_id == Assignment.item_id, option_1.position == 1))
        .outerjoin(second, second.sha256 == option_1.image_sha256)
        .where(Assignment.annotator_id == annotator_id, Assignment.position == position)
    ).first()
    if row is None:
        raise StudyError(f"annotator {annotator_id} has no item at position {position}")
    swap_sides, source_png, png_0, png_1 = row
    a, b = (png_1, png_0) if swap_sides else (png_0, png_1)
    if not source_png or not a or not b:
        raise ItemImageMissing(position, progress(session=session, annotator_id=annotator_id)[0])
    return source_png, a, b


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


def _preference_answer(
    kind: str | None, preferred_option_id: int | None, option_ids_in_side_order: list[int]
) -> str | None:
    if kind is None:
        return None
    if kind == PREFERENCE_OPTION:
        if preferred_option_id not in option_ids_in_side_order:
            return None
        return SIDE_LABELS[option_ids_in_side_order.index(int(preferred_option_id))]
    return kind
