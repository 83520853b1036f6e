"""30 annotators answering at once on PostgreSQL, with random double clicks (the same request
sent twice concurrently) and changed answers: exactly one judgment per (annotator, item,
option), each holding the last answer given, every item submitted exactly once."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Assignment, Judgment, StudyOption
from db.queries.study_annotators import AnnotatorAccess, authenticate
from db.queries.study_answers import (
    ItemView,
    SubmitOutcome,
    load_next_item,
    mark_shown,
    record_judgment,
    record_preference,
    submit_item,
)
from db.queries.study_create import create_study
from tests.study.world import METHODS, build_world

ANNOTATORS = 30


def twice_at_once(call: Callable[[], Any]) -> list[Any]:
    """A double click: the same request from two server threads at the same moment."""
    start = threading.Barrier(2)

    def clicked() -> Any:
        start.wait()
        return call()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda _: clicked(), range(2)))


def annotate_everything(engine: Engine, annotator_id: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    final: dict[tuple[int, str], bool] = {}
    submitted = 0

    def in_session(function: Callable[..., Any], **kwargs: Any) -> Callable[[], Any]:
        def call() -> Any:
            with session_scope(engine) as session:
                return function(session=session, annotator_id=annotator_id, **kwargs)

        return call

    while True:
        view = in_session(load_next_item)()
        if not isinstance(view, ItemView):
            break
        in_session(mark_shown, position=view.position)()
        for side in ("A", "B"):
            if rng.random() < 0.5:  # a first answer, then changed
                first = rng.random() < 0.5
                in_session(record_judgment, position=view.position, side=side, acceptable=first)()
            answer = rng.random() < 0.5
            call = in_session(record_judgment, position=view.position, side=side, acceptable=answer)
            results = twice_at_once(call) if rng.random() < 0.5 else [call()]
            assert all(results)
            final[(view.position, side)] = answer
        in_session(record_preference, position=view.position, preference="tie")()
        submit = in_session(submit_item, position=view.position)
        outcomes = twice_at_once(submit) if rng.random() < 0.5 else [submit()]
        assert outcomes.count(SubmitOutcome.SUBMITTED) == 1, outcomes
        submitted += 1
    return {"final": final, "submitted": submitted}


def test_thirty_annotators_with_double_submits_store_each_answer_exactly_once(
    postgres_url: str,
) -> None:
    engine = make_engine(postgres_url, pool_size=ANNOTATORS * 2, max_overflow=ANNOTATORS)
    world = build_world(engine, samples=5)
    names = [f"annotator{i:02d}" for i in range(ANNOTATORS)]
    with session_scope(engine) as session:
        created = create_study(
            session=session,
            run_id=world.run_id,
            methods=METHODS,
            annotators=names,
            overlap=ANNOTATORS,  # every item to everyone: maximal contention per item
            gold=1,
        )
        ids = []
        for annotator in created.annotators:
            access = authenticate(session=session, token=annotator.token)
            assert isinstance(access, AnnotatorAccess)
            ids.append(access.annotator_id)

    start = threading.Barrier(ANNOTATORS)

    def one_annotator(index: int) -> dict[str, Any]:
        start.wait()
        return annotate_everything(engine, ids[index], seed=index)

    with ThreadPoolExecutor(ANNOTATORS) as pool:
        results = list(pool.map(one_annotator, range(ANNOTATORS)))

    items_each = created.items + created.gold_items
    assert [r["submitted"] for r in results] == [items_each] * ANNOTATORS
    with session_scope(engine) as session:
        total = session.scalar(select(func.count(Judgment.id)))
        duplicates = session.execute(
            select(Judgment.annotator_id, Judgment.item_id, Judgment.option_id)
            .group_by(Judgment.annotator_id, Judgment.item_id, Judgment.option_id)
            .having(func.count() > 1)
        ).all()
        open_items = session.scalar(
            select(func.count(Assignment.id)).where(Assignment.completed_at.is_(None))
        )
    assert total == ANNOTATORS * items_each * 2  # none lost, none duplicated
    assert duplicates == []
    assert open_items == 0
    # every stored value is the last answer given, read back through the side it was given on
    for index, annotator_id in enumerate(ids):
        with session_scope(engine) as session:
            for position, side in results[index]["final"]:
                answer = _answer_on_side(session, annotator_id, position, side)
                assert answer is results[index]["final"][(position, side)]
    engine.dispose()


def _answer_on_side(session: Any, annotator_id: int, position: int, side: str) -> bool | None:
    assignment = session.execute(
        select(Assignment).where(
            Assignment.annotator_id == annotator_id, Assignment.position == position
        )
    ).scalar_one()
    option_position = ("A", "B").index(side) ^ int(assignment.swap_sides)
    return session.scalar(
        select(Judgment.acceptable)
        .join(StudyOption, StudyOption.id == Judgment.option_id)
        .where(
            Judgment.annotator_id == annotator_id,
            Judgment.item_id == assignment.item_id,
            StudyOption.position == option_position,
        )
    )
