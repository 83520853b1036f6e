"""Can't judge, the answer history, reopening any submitted item, closing and revoking."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, update

from db.engine import session_scope
from db.models import Annotator, Assignment, Judgment, Study
from db.models.study import JudgmentEvent
from db.queries.study import MAX_REASON_CHARS, StudyError, Verdict
from db.queries.study_annotators import AccessProblem, AnnotatorAccess, authenticate
from db.queries.study_answers import (
    ItemView,
    ReopenOutcome,
    SubmitOutcome,
    load_next_item,
    record_judgment,
    record_preference,
    reopen_item,
    study_guidelines,
    submit_item,
    submitted_history,
)
from db.queries.study_create import create_study
from tests.study.world import METHODS, World


@pytest.fixture
def study(engine: Engine, world: World) -> tuple[int, int, str]:
    """(study id, alice's annotator id, alice's token)."""
    with session_scope(engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=METHODS, annotators=["alice"], gold=1
        )
        token = created.annotators[0].token
        access = authenticate(session=session, token=token)
    assert isinstance(access, AnnotatorAccess)
    return access.study_id, access.annotator_id, token


def judge(engine: Engine, annotator: int, position: int, side: str, verdict: Verdict,
          reason: str | None = None) -> bool:  # fmt: skip
    with session_scope(engine) as session:
        return record_judgment(
            session=session, annotator_id=annotator, position=position, side=side,
            verdict=verdict, reason=reason,
        )  # fmt: skip


def answer(engine: Engine, annotator: int, position: int, a: Verdict, b: Verdict,
           pref: str = "A") -> SubmitOutcome:  # fmt: skip
    assert judge(engine, annotator, position, "A", a)
    assert judge(engine, annotator, position, "B", b)
    with session_scope(engine) as session:
        assert record_preference(
            session=session, annotator_id=annotator, position=position, preference=pref
        )
        return submit_item(session=session, annotator_id=annotator, position=position)


def next_view(engine: Engine, annotator: int) -> ItemView:
    with session_scope(engine) as session:
        view = load_next_item(session=session, annotator_id=annotator)
    assert isinstance(view, ItemView)
    return view


def test_cant_judge_is_an_answer_with_its_reason_but_no_vote(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    assert judge(engine, alice, 0, "A", Verdict.CANT_JUDGE, "  image did not load  ")
    assert judge(engine, alice, 0, "B", Verdict.NOT_ACCEPTABLE)
    view = next_view(engine, alice)
    assert view.sides[0].verdict is Verdict.CANT_JUDGE
    assert view.sides[0].reason == "image did not load"
    assert view.sides[0].acceptable is None  # never a "not acceptable"
    assert view.sides[1].acceptable is False
    assert not view.answered  # the preference is missing
    with session_scope(engine) as session:
        record_preference(session=session, annotator_id=alice, position=0, preference="tie")
    assert next_view(engine, alice).answered
    with session_scope(engine) as session:
        stored = session.execute(
            select(Judgment.acceptable, Judgment.reason).order_by(Judgment.id)
        ).all()
    assert [tuple(row) for row in stored] == [(None, "image did not load"), (False, None)]


def test_a_reason_needs_cant_judge_and_is_bounded(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    with pytest.raises(StudyError, match="reason"):
        judge(engine, alice, 0, "A", Verdict.ACCEPTABLE, "looks fine")
    with pytest.raises(StudyError, match=str(MAX_REASON_CHARS)):
        judge(engine, alice, 0, "A", Verdict.CANT_JUDGE, "x" * (MAX_REASON_CHARS + 1))
    with pytest.raises(StudyError, match="unknown verdict"):
        judge(engine, alice, 0, "A", "maybe")  # type: ignore[arg-type]
    with session_scope(engine) as session:
        assert session.scalar(select(Judgment.id)) is None  # nothing written


def test_the_old_acceptable_keyword_still_records_a_verdict(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    with session_scope(engine) as session:
        assert record_judgment(
            session=session, annotator_id=alice, position=0, side="A", acceptable=False
        )
    assert next_view(engine, alice).sides[0].verdict is Verdict.NOT_ACCEPTABLE


def test_history_lists_submitted_items_newest_first_in_side_order(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    first = next_view(engine, alice)
    assert answer(engine, alice, first.position, Verdict.ACCEPTABLE, Verdict.CANT_JUDGE, "A") is (
        SubmitOutcome.SUBMITTED
    )
    second = next_view(engine, alice)
    answer(engine, alice, second.position, Verdict.NOT_ACCEPTABLE, Verdict.ACCEPTABLE, "B")
    with session_scope(engine) as session:
        history = submitted_history(session=session, annotator_id=alice)
    assert [entry.position for entry in history] == [second.position, first.position]
    assert history[0].verdicts == (Verdict.NOT_ACCEPTABLE, Verdict.ACCEPTABLE)
    assert history[0].preference == "B"
    assert history[1].verdicts == (Verdict.ACCEPTABLE, Verdict.CANT_JUDGE)
    assert history[1].instruction == first.instruction
    assert history[1].number == first.position + 1
    assert all(e.last_changed_at >= e.submitted_at for e in history)


def test_reopening_an_earlier_item_keeps_every_change_with_its_time(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    for _ in range(3):
        view = next_view(engine, alice)
        answer(engine, alice, view.position, Verdict.ACCEPTABLE, Verdict.NOT_ACCEPTABLE)
    open_now = next_view(engine, alice).position
    with session_scope(engine) as session:
        session.execute(  # the open item's clock has run for a while
            update(Assignment)
            .where(Assignment.annotator_id == alice, Assignment.position == open_now)
            .values(shown_at=Assignment.shown_at)
        )
        assert reopen_item(session=session, annotator_id=alice, position=0) is (
            ReopenOutcome.REOPENED
        )
        assert reopen_item(session=session, annotator_id=alice, position=0) is (
            ReopenOutcome.NOT_SUBMITTED
        )
        assert reopen_item(session=session, annotator_id=alice, position=999) is (
            ReopenOutcome.UNKNOWN
        )
    reopened = next_view(engine, alice)
    assert reopened.position == 0  # the first, not the last submitted
    assert reopened.sides[0].verdict is Verdict.ACCEPTABLE  # its answers come back
    assert judge(engine, alice, 0, "A", Verdict.NOT_ACCEPTABLE)
    with session_scope(engine) as session:
        assert submit_item(session=session, annotator_id=alice, position=0) is (
            SubmitOutcome.SUBMITTED
        )
        events = session.execute(
            select(JudgmentEvent.kind, JudgmentEvent.value, JudgmentEvent.at)
            .join(Assignment, Assignment.item_id == JudgmentEvent.item_id)
            .where(Assignment.annotator_id == alice, Assignment.position == 0)
            .order_by(JudgmentEvent.id)
        ).all()
    kinds = [(kind, value) for kind, value, _ in events]
    assert kinds == [
        ("verdict", "acceptable"),
        ("verdict", "not_acceptable"),
        ("preference", "A"),
        ("submit", None),
        ("reopen", None),
        ("verdict", "not_acceptable"),
        ("submit", None),
    ]
    times = [at for _, _, at in events]
    assert times == sorted(times)
    assert next_view(engine, alice).position == open_now


def test_a_repeated_identical_answer_logs_nothing(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    _, alice, _ = study
    for _ in range(3):
        assert judge(engine, alice, 0, "A", Verdict.ACCEPTABLE)
    with session_scope(engine) as session:
        for _ in range(2):
            record_preference(session=session, annotator_id=alice, position=0, preference="tie")
        kinds = session.scalars(select(JudgmentEvent.kind).order_by(JudgmentEvent.id)).all()
    assert kinds == ["verdict", "preference"]


@pytest.mark.parametrize("how", ["revoked", "closed"])
def test_a_revoked_annotator_or_a_closed_study_writes_nothing(
    engine: Engine, study: tuple[int, int, str], how: str
) -> None:
    _, alice, token = study
    view = next_view(engine, alice)
    answer(engine, alice, view.position, Verdict.ACCEPTABLE, Verdict.ACCEPTABLE)
    assert judge(engine, alice, 1, "A", Verdict.ACCEPTABLE)
    with session_scope(engine) as session:
        assert record_preference(session=session, annotator_id=alice, position=1, preference="A")
    with session_scope(engine) as session:
        if how == "revoked":
            session.execute(update(Annotator).values(revoked_at=func.now()))
        else:
            session.execute(update(Study).values(closed_at=func.now()))
        before = session.scalars(select(JudgmentEvent.id)).all()
    assert not judge(engine, alice, 1, "B", Verdict.ACCEPTABLE)
    with session_scope(engine) as session:
        assert not record_preference(
            session=session, annotator_id=alice, position=1, preference="B"
        )
        assert submit_item(session=session, annotator_id=alice, position=1) is (
            SubmitOutcome.REFUSED
        )
        expected = ReopenOutcome.REVOKED if how == "revoked" else ReopenOutcome.STUDY_CLOSED
        assert reopen_item(session=session, annotator_id=alice, position=0) is expected
        assert session.scalars(select(JudgmentEvent.id)).all() == before
        problem = AccessProblem.REVOKED if how == "revoked" else AccessProblem.STUDY_CLOSED
        assert authenticate(session=session, token=token) is problem
        assert session.scalar(select(Assignment.completed_at).where(Assignment.position == 0))


def test_guidelines_are_the_annotators_study_and_flagged_on_items(
    engine: Engine, study: tuple[int, int, str]
) -> None:
    study_id, alice, _ = study
    with session_scope(engine) as session:
        assert study_guidelines(session=session, annotator_id=alice) is None
    assert next_view(engine, alice).guidelines_available is False
    with session_scope(engine) as session:
        session.execute(update(Study).where(Study.id == study_id).values(guidelines="# Judge"))
        assert study_guidelines(session=session, annotator_id=alice) == "# Judge"
    assert next_view(engine, alice).guidelines_available is True
