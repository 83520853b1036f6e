"""Annotator flags: the pure checks (gold accuracy, speed, agreement with the others'
majority against chance) on values that could be wrong, and the data they are computed from
(the study views' figures; submitted items, counted answers for the majority, can't judge
left out) on SQLite and PostgreSQL."""

from __future__ import annotations

import random

import pytest
from scipy.stats import binom, binomtest
from sqlalchemy import Engine, case, select, update
from sqlalchemy.orm import Session

from db.engine import session_scope
from db.models import Annotator, Assignment, StudyItem, StudyOption
from db.queries.study import SIDE_LABELS, Verdict
from db.queries.study_annotators import revoke_annotator
from db.queries.study_create import create_study
from db.queries.study_flags import annotator_flag_data
from db.queries.study_writes import record_judgment, record_preference, submit_item
from handsoff_core.statistics.annotator_flags import (
    FlagThresholds,
    annotator_flags,
    gold_check,
    majority_agreement,
    majority_of,
    speed_check,
)
from tests.study.world import METHODS, World

DEFAULT = FlagThresholds()


# --- gold accuracy and speed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("correct", "judged", "flagged"),
    [(2, 4, True), (3, 4, False), (0, 1, False), (0, 2, True), (4, 4, False), (0, 0, False)],
)
def test_gold_is_flagged_below_the_threshold_once_enough_verdicts_exist(
    correct: int, judged: int, flagged: bool
) -> None:
    check = gold_check(correct, judged, DEFAULT)
    assert check.flagged is flagged
    assert check.accuracy == (correct / judged if judged else None)
    assert (check.correct, check.judged) == (correct, judged)


def test_gold_counts_that_cannot_be_are_refused() -> None:
    with pytest.raises(ValueError, match="3 of 2"):
        gold_check(3, 2, DEFAULT)
    with pytest.raises(ValueError):
        gold_check(-1, 2, DEFAULT)


@pytest.mark.parametrize(
    ("median", "items", "flagged"),
    [(1.0, 3, True), (1.99, 40, True), (2.0, 40, False), (0.5, 2, False), (None, 0, False)],
)
def test_speed_is_flagged_below_the_median_threshold_once_enough_items_are_timed(
    median: float | None, items: int, flagged: bool
) -> None:
    check = speed_check(median, items, DEFAULT)
    assert check.flagged is flagged
    assert (check.median_seconds, check.items) == (median, items)


def test_times_that_cannot_be_are_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        speed_check(-1.0, 3, DEFAULT)
    with pytest.raises(ValueError, match="cannot be"):
        speed_check(None, 3, DEFAULT)  # three timed items have a median
    with pytest.raises(ValueError, match="cannot be"):
        speed_check(4.0, 0, DEFAULT)


# --- agreement with the others' majority -------------------------------------------------


def test_majority_of_votes_leaves_ties_out() -> None:
    assert majority_of([True, True, False]) is True
    assert majority_of([False]) is False
    assert majority_of([True, False]) is None
    assert majority_of([]) is None


def test_chance_comes_from_both_base_rates_over_the_compared_edits() -> None:
    own = {unit: True for unit in range(10)}  # always "acceptable": p = 1
    others = {unit: [unit < 6] for unit in range(10)}  # majority "acceptable" on 6: q = 0.6
    result = majority_agreement(own, others, DEFAULT)
    assert (result.units, result.agreements) == (10, 6)
    assert result.chance == pytest.approx(0.6)  # 1*0.6 + 0*0.4
    assert result.p_value == pytest.approx(binom.sf(5, 10, 0.6))  # P(X >= 6)
    assert result.flagged  # saying "acceptable" to everything tells nothing


def test_perfect_agreement_is_not_flagged_and_its_p_value_is_exact() -> None:
    own = {unit: unit % 2 == 0 for unit in range(12)}
    others = {unit: [verdict, verdict, not verdict] for unit, verdict in own.items()}
    result = majority_agreement(own, others, DEFAULT)
    assert result.chance == pytest.approx(0.5)
    assert result.p_value == pytest.approx(0.5**12)
    assert not result.flagged


def test_always_disagreeing_is_flagged() -> None:
    own = {unit: unit % 3 == 0 for unit in range(20)}
    others = {unit: [not verdict] for unit, verdict in own.items()}
    result = majority_agreement(own, others, DEFAULT)
    assert result.agreements == 0 and result.flagged and result.p_value == pytest.approx(1.0)


def test_edits_without_a_majority_are_not_compared() -> None:
    own = {unit: True for unit in range(14)}
    others: dict[int, list[bool]] = {unit: [True] for unit in range(10)}
    others[10] = [True, False]  # a tie
    others[11] = []  # nobody else
    # 12 and 13: not judged by anyone else
    result = majority_agreement(own, others, DEFAULT)
    assert (result.units, result.agreements) == (10, 10)
    assert result.chance == pytest.approx(1.0)  # both always "acceptable": chance explains all


def test_too_few_edits_are_reported_but_never_flagged() -> None:
    own = {unit: unit % 2 == 0 for unit in range(9)}
    others = {unit: [not verdict] for unit, verdict in own.items()}
    result = majority_agreement(own, others, DEFAULT)
    assert result.units == 9 and result.p_value is None and not result.flagged
    assert result.chance is not None
    assert majority_agreement({}, {}, DEFAULT).rate is None


def test_random_answers_are_shown_better_than_chance_at_most_at_the_test_level() -> None:
    # skewed base rates (most edits acceptable), where agreement by chance is high
    rng = random.Random(20261202)
    majority = {unit: rng.random() < 0.8 for unit in range(40)}
    others = {unit: [verdict] for unit, verdict in majority.items()}
    cleared = naive_cleared = 0
    for _ in range(400):
        own = {unit: rng.random() < 0.85 for unit in majority}
        result = majority_agreement(own, others, DEFAULT)
        cleared += not result.flagged
        naive = binomtest(result.agreements, result.units, 0.5, alternative="greater")
        naive_cleared += naive.pvalue < DEFAULT.agreement_alpha
    # the exact test against the base-rate chance lets at most about alpha of random
    # annotators pass (slack for 400 draws); one against 50% would clear most of them
    assert cleared / 400 <= DEFAULT.agreement_alpha + 0.03
    assert naive_cleared / 400 > 0.5


def test_a_careful_annotator_is_cleared_on_a_realistic_study() -> None:
    rng = random.Random(7)
    majority = {unit: rng.random() < 0.3 for unit in range(40)}
    others = {unit: [verdict] for unit, verdict in majority.items()}
    own = {
        unit: verdict if rng.random() < 0.9 else not verdict for unit, verdict in majority.items()
    }
    assert not majority_agreement(own, others, DEFAULT).flagged


def test_reasons_name_every_flag_raised() -> None:
    flags = annotator_flags(
        gold_correct=0,
        gold_judged=4,
        median_seconds=0.7,
        timed_items=3,
        own_verdicts={unit: True for unit in range(10)},
        others_verdicts={unit: [unit < 5] for unit in range(10)},
    )
    assert flags.reasons == (
        "low gold accuracy",
        "implausibly fast",
        "agreement no better than chance",
    )
    clean = annotator_flags(
        gold_correct=4,
        gold_judged=4,
        median_seconds=9.0,
        timed_items=3,
        own_verdicts={},
        others_verdicts={},
    )
    assert clean.reasons == ()


# --- the data, from the database ---------------------------------------------------------


YES, NO, CANT = Verdict.ACCEPTABLE, Verdict.NOT_ACCEPTABLE, Verdict.CANT_JUDGE


def answer(
    session: Session,
    annotator_id: int,
    position: int,
    verdicts: dict[int, Verdict],
    *,
    submit: bool = True,
) -> None:
    """Answer the annotator's item at `position` by canonical option position."""
    swap = session.scalar(
        select(Assignment.swap_sides).where(
            Assignment.annotator_id == annotator_id, Assignment.position == position
        )
    )
    for option_position, verdict in verdicts.items():
        side = SIDE_LABELS[option_position ^ int(bool(swap))]
        assert record_judgment(
            session=session, annotator_id=annotator_id, position=position, side=side,
            verdict=verdict,
        )  # fmt: skip
    assert record_preference(
        session=session, annotator_id=annotator_id, position=position, preference="tie"
    )
    if submit:
        submit_item(session=session, annotator_id=annotator_id, position=position)


def right(expected: bool) -> Verdict:
    return YES if expected else NO


def wrong(expected: bool) -> Verdict:
    return NO if expected else YES


def test_flag_data_counts_submitted_items_only_and_leaves_cant_judge_out(
    engine: Engine, world: World
) -> None:
    with session_scope(engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=METHODS, annotators=["ann", "ben"],
            overlap=2, gold=1, seed=3, name="flags",
        )  # fmt: skip
    with session_scope(engine) as session:
        ids = dict(session.execute(select(Annotator.name, Annotator.id)).all())
        positions = session.execute(
            select(Assignment.annotator_id, Assignment.position, StudyItem.is_gold)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .order_by(Assignment.annotator_id, Assignment.position)
        ).all()
        expected = dict(
            session.execute(
                select(StudyOption.position, StudyOption.expected_acceptable)
                .join(StudyItem, StudyItem.id == StudyOption.item_id)
                .where(StudyItem.is_gold.is_(True))
            ).all()
        )
    ann = [(p, gold) for a, p, gold in positions if a == ids["ann"]]
    ben = [(p, gold) for a, p, gold in positions if a == ids["ben"]]
    left_open = [p for p, gold in ann if not gold][-1]
    with session_scope(engine) as session:
        for position, gold in ann:
            if gold:  # option 0 right, option 1 "can't judge": 1 of 1, not 1 of 2
                answer(session, ids["ann"], position, {0: right(expected[0]), 1: CANT})
            elif position == left_open:  # answered, never submitted: not counted
                answer(session, ids["ann"], position, {0: YES, 1: YES}, submit=False)
            else:
                answer(session, ids["ann"], position, {0: YES, 1: NO})
        for position, gold in ben:
            if gold:
                answer(
                    session, ids["ben"], position, {0: wrong(expected[0]), 1: wrong(expected[1])}
                )
            else:
                answer(session, ids["ben"], position, {0: CANT, 1: YES})
        # the clock of submitted items (the open one was never submitted: no time)
        session.execute(
            update(Assignment)
            .where(Assignment.completed_at.is_not(None))
            .values(seconds_spent=case((Assignment.annotator_id == ids["ann"], 1.5), else_=3.0))
        )
        revoke_annotator(session=session, study="flags", name="ben")
    with session_scope(engine) as session:
        records = annotator_flag_data(session=session, study_id=created.study_id)
    data = {record.name: record for record in records}
    assert list(data) == ["ann", "ben"]
    assert (data["ann"].gold_correct, data["ann"].gold_judged) == (1, 1)
    assert (data["ben"].gold_correct, data["ben"].gold_judged) == (0, 2)
    assert not data["ann"].revoked and data["ben"].revoked  # listed, marked revoked
    assert (data["ann"].median_seconds, data["ann"].timed_items) == (1.5, len(ann) - 1)
    assert (data["ben"].median_seconds, data["ben"].timed_items) == (3.0, len(ben))
    regular_submitted = len([p for p, gold in ann if not gold]) - 1
    # per submitted regular item: option 0 acceptable, option 1 not
    assert (
        sorted(data["ann"].edit_verdicts.values())
        == [False] * regular_submitted + [True] * regular_submitted
    )
    assert data["ann"].counted_edit_verdicts == data["ann"].edit_verdicts
    assert list(data["ben"].edit_verdicts.values()) == [True] * (len(ben) - 1)  # can't judge out
    assert data["ben"].counted_edit_verdicts == {}  # revoked: nothing of ben's counts
