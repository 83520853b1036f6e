"""What the annotator's page reads and writes: sides, upserts, submit, undo, resume."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, update

from db.engine import session_scope
from db.image_store import sha256_hex
from db.models import Assignment, Image, Judgment, Sample, StudyItem, StudyOption
from db.queries.study import StudyError
from db.queries.study_annotators import AnnotatorAccess, authenticate
from db.queries.study_answers import (
    ItemImageMissing,
    ItemView,
    NothingToShow,
    SubmitOutcome,
    item_images,
    load_next_item,
    mark_shown,
    record_judgment,
    record_preference,
    submit_item,
    undo_last,
)
from db.queries.study_create import create_study
from tests.study.world import METHODS, World


@dataclass
class Annotating:
    engine: Engine
    annotator_id: int

    def next(self) -> ItemView:
        with session_scope(self.engine) as session:
            view = load_next_item(session=session, annotator_id=self.annotator_id)
        assert isinstance(view, ItemView)
        return view

    def judge(self, position: int, side: str, acceptable: bool) -> bool:
        with session_scope(self.engine) as session:
            return record_judgment(
                session=session,
                annotator_id=self.annotator_id,
                position=position,
                side=side,
                acceptable=acceptable,
            )

    def prefer(self, position: int, preference: str) -> bool:
        with session_scope(self.engine) as session:
            return record_preference(
                session=session, annotator_id=self.annotator_id, position=position,
                preference=preference,
            )  # fmt: skip

    def submit(self, position: int) -> SubmitOutcome:
        with session_scope(self.engine) as session:
            return submit_item(session=session, annotator_id=self.annotator_id, position=position)

    def undo(self, current: int | None) -> int | None:
        with session_scope(self.engine) as session:
            return undo_last(
                session=session, annotator_id=self.annotator_id, current_position=current
            )

    def answer(self, position: int, a: bool = True, b: bool = False, pref: str = "A") -> None:
        assert self.judge(position, "A", a) and self.judge(position, "B", b)
        assert self.prefer(position, pref)
        assert self.submit(position) is SubmitOutcome.SUBMITTED


@pytest.fixture
def alice(engine: Engine, world: World) -> Annotating:
    with session_scope(engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=METHODS, annotators=["alice"], gold=1
        )
        access = authenticate(session=session, token=created.annotators[0].token)
    assert isinstance(access, AnnotatorAccess)
    return Annotating(engine, access.annotator_id)


def stored_judgments(engine: Engine) -> list[tuple[int, int, bool]]:
    """(item, option position, acceptable) per stored judgment."""
    with session_scope(engine) as session:
        return [
            tuple(row)  # type: ignore[misc]
            for row in session.execute(
                select(Judgment.item_id, StudyOption.position, Judgment.acceptable)
                .join(StudyOption, StudyOption.id == Judgment.option_id)
                .order_by(Judgment.item_id, StudyOption.position)
            )
        ]


def test_items_come_in_the_personal_order_with_progress(alice: Annotating) -> None:
    first = alice.next()
    assert (first.position, first.number, first.total, first.completed) == (0, 1, 6, 0)
    assert not first.can_undo and not first.answered
    alice.answer(0)
    second = alice.next()
    assert (second.position, second.completed, second.can_undo) == (1, 1, True)


def test_a_side_label_maps_to_the_option_its_assignment_shows(
    engine: Engine, alice: Annotating
) -> None:
    with session_scope(engine) as session:
        for swap in (False, True):
            session.execute(
                update(Assignment).where(Assignment.position == int(swap)).values(swap_sides=swap)
            )
    for position, swap in ((0, False), (1, True)):
        view = alice.next()
        alice.answer(position, a=True, b=False, pref="B")
        with session_scope(engine) as session:
            item_id = session.scalar(
                select(Assignment.item_id).where(Assignment.position == position)
            )
        by_option = {pos: ok for item, pos, ok in stored_judgments(engine) if item == item_id}
        # side A shows option 1 when swapped
        assert by_option == ({0: False, 1: True} if swap else {0: True, 1: False})
        with session_scope(engine) as session:
            preferred = session.scalar(
                select(StudyOption.position)
                .join(Assignment, Assignment.preferred_option_id == StudyOption.id)
                .where(Assignment.position == position)
            )
        assert preferred == (0 if swap else 1)
        assert view.sides[0].label == "A"


def test_answers_are_upserts_that_keep_created_and_move_updated(
    engine: Engine, alice: Annotating
) -> None:
    assert alice.judge(0, "A", True)
    assert alice.judge(0, "A", True)  # double click: same answer
    with session_scope(engine) as session:
        first = session.execute(select(Judgment.created_at, Judgment.updated_at)).one()
    time.sleep(0.02)
    assert alice.judge(0, "A", True)
    with session_scope(engine) as session:
        assert session.execute(select(Judgment.created_at, Judgment.updated_at)).one() == first
    assert alice.judge(0, "A", False)  # a change
    with session_scope(engine) as session:
        rows = session.execute(
            select(Judgment.acceptable, Judgment.created_at, Judgment.updated_at)
        ).all()
    assert len(rows) == 1
    acceptable, created, updated = rows[0]
    assert acceptable is False and created == first[0] and updated > first[1]
    assert alice.next().sides[0].acceptable is False


def test_submit_needs_every_answer_and_a_second_submit_changes_nothing(
    engine: Engine, alice: Annotating
) -> None:
    with session_scope(engine) as session:
        mark_shown(session=session, annotator_id=alice.annotator_id, position=0)
    assert alice.submit(0) is SubmitOutcome.INCOMPLETE
    alice.judge(0, "A", True)
    alice.judge(0, "B", True)
    assert alice.submit(0) is SubmitOutcome.INCOMPLETE  # preference missing
    alice.prefer(0, "tie")
    time.sleep(0.05)
    assert alice.submit(0) is SubmitOutcome.SUBMITTED
    with session_scope(engine) as session:
        spent, kind = session.execute(
            select(Assignment.seconds_spent, Assignment.preference_kind).where(
                Assignment.position == 0
            )
        ).one()
    assert spent is not None and 0.05 <= spent < 5 and kind == "tie"
    assert alice.submit(0) is SubmitOutcome.ALREADY_SUBMITTED
    assert alice.submit(99) is SubmitOutcome.UNKNOWN
    # a stale page writing to the submitted item is refused
    assert not alice.judge(0, "A", False)
    assert not alice.prefer(0, "A")
    assert [ok for _, _, ok in stored_judgments(engine)] == [True, True]


def test_undo_reopens_the_last_submitted_item_once_per_click(alice: Annotating) -> None:
    alice.answer(0, a=True, b=True, pref="tie")
    alice.answer(1, a=False, b=False, pref="both_bad")
    assert alice.next().position == 2
    assert alice.undo(current=2) == 1
    assert alice.undo(current=2) is None  # the double click: page still says 2
    reopened = alice.next()
    assert reopened.position == 1 and reopened.preference == "both_bad"
    assert [s.acceptable for s in reopened.sides] == [False, False]
    assert alice.judge(1, "B", True)
    assert alice.submit(1) is SubmitOutcome.SUBMITTED
    assert alice.next().position == 2
    assert alice.undo(current=2) == 1  # position 1 was submitted last
    assert alice.undo(current=1) == 0
    assert alice.next().position == 0


def test_resume_after_leaving_is_exact_and_the_end_is_reported(
    engine: Engine, alice: Annotating
) -> None:
    alice.answer(0)
    alice.judge(1, "A", False)
    # a new session (browser refresh) sees the same item with the answer given
    resumed = alice.next()
    assert resumed.position == 1 and resumed.sides[0].acceptable is False
    assert resumed.sides[1].acceptable is None
    for position in range(1, 6):
        alice.answer(position)
    with session_scope(engine) as session:
        end = load_next_item(session=session, annotator_id=alice.annotator_id)
        assert session.scalar(select(func.count(Judgment.id))) == 12
    assert isinstance(end, NothingToShow)
    assert end.finished and (end.total, end.completed) == (6, 6)
    assert alice.undo(current=None) == 5


def test_undo_banks_the_time_of_the_item_being_left(engine: Engine, alice: Annotating) -> None:
    alice.answer(0)
    with session_scope(engine) as session:
        mark_shown(session=session, annotator_id=alice.annotator_id, position=1)
    time.sleep(0.05)
    assert alice.undo(current=1) == 0
    with session_scope(engine) as session:
        shown, spent = session.execute(
            select(Assignment.shown_at, Assignment.seconds_spent).where(Assignment.position == 1)
        ).one()
    assert shown is None and spent is not None and spent >= 0.05


@contextmanager
def statements_counted(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement sent through `engine` inside the block."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_next_item_and_its_images_take_one_round_trip_each(
    engine: Engine, alice: Annotating
) -> None:
    alice.answer(0)
    alice.judge(1, "A", False)
    with session_scope(engine) as session:
        session.execute(select(1))  # the connection is checked out and the transaction open
        with statements_counted(engine) as sent:
            view = load_next_item(session=session, annotator_id=alice.annotator_id)
        assert isinstance(view, ItemView) and len(sent) == 1
        assert view.sides[0].acceptable is False and view.completed == 1
        with statements_counted(engine) as sent:
            skipping = load_next_item(
                session=session, annotator_id=alice.annotator_id, skip_positions={1, 2}
            )
        assert isinstance(skipping, ItemView) and skipping.position == 3 and len(sent) == 1
        with statements_counted(engine) as sent:
            item_images(session=session, annotator_id=alice.annotator_id, position=1)
        assert len(sent) == 1


def stored_images(engine: Engine, annotator_id: int, position: int) -> tuple[bytes, ...]:
    """(source, side A, side B) read the long way, from the assignment's own sides."""
    with session_scope(engine) as session:
        item_id, swap, source = session.execute(
            select(Assignment.item_id, Assignment.swap_sides, Sample.source_image)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .join(Sample, Sample.id == StudyItem.sample_id)
            .where(Assignment.annotator_id == annotator_id, Assignment.position == position)
        ).one()
        options = session.scalars(
            select(StudyOption.image_sha256)
            .where(StudyOption.item_id == item_id)
            .order_by(StudyOption.position)
        ).all()
        shown = list(reversed(options)) if swap else list(options)
        data = {sha: session.get(Image, sha).data for sha in {source, *shown}}  # type: ignore[union-attr]
    return data[source], data[shown[0]], data[shown[1]]


def test_item_images_show_each_side_as_assigned_and_name_a_missing_one(
    engine: Engine, alice: Annotating
) -> None:
    with session_scope(engine) as session:  # both side orders occur
        session.execute(update(Assignment).values(swap_sides=Assignment.position % 2 == 1))
        positions = session.scalars(
            select(Assignment.position).where(Assignment.annotator_id == alice.annotator_id)
        ).all()
    for position in positions:
        with session_scope(engine) as session:
            fetched = item_images(
                session=session, annotator_id=alice.annotator_id, position=position
            )
        assert fetched == stored_images(engine, alice.annotator_id, position)
        assert len(set(fetched)) >= 2  # a gold item may show the source as an edit
    source, side_a, _ = stored_images(engine, alice.annotator_id, 2)
    with session_scope(engine) as session:
        session.execute(update(Image).where(Image.sha256 == sha256_hex(side_a)).values(data=b""))
    alice.answer(0)
    alice.answer(1)  # the item at position 2 is the next one shown
    with session_scope(engine) as session, pytest.raises(ItemImageMissing) as missing:
        load_next_item(session=session, annotator_id=alice.annotator_id)
    assert (missing.value.position, missing.value.total) == (2, 6)
    with session_scope(engine) as session, pytest.raises(ItemImageMissing) as missing:
        item_images(session=session, annotator_id=alice.annotator_id, position=2)
    assert "item 3 of 6" in str(missing.value)
    with session_scope(engine) as session:
        skipped = load_next_item(
            session=session, annotator_id=alice.annotator_id, skip_positions={2}
        )
        assert isinstance(skipped, ItemView) and skipped.position == 3
        session.execute(update(Image).where(Image.sha256 == sha256_hex(source)).values(data=b""))
    with session_scope(engine) as session, pytest.raises(ItemImageMissing):
        item_images(session=session, annotator_id=alice.annotator_id, position=2)
    with session_scope(engine) as session, pytest.raises(StudyError, match="no item at"):
        item_images(session=session, annotator_id=alice.annotator_id, position=99)
