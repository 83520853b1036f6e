"""The administrator's figures: progress, gold accuracy, time, acceptability, agreement, CSV."""

from __future__ import annotations

import csv
import io
import math

import pytest
from sqlalchemy import Engine, select, update

from db.engine import session_scope
from db.models import Assignment, StudyItem, StudyOption
from db.queries.study_admin import (
    EXPORT_COLUMNS,
    acceptability_so_far,
    agreement_so_far,
    annotator_stats,
    judgments_csv,
    list_studies,
)
from db.queries.study_agreement import fleiss_kappa, krippendorff_alpha_nominal
from db.queries.study_annotators import AnnotatorAccess, authenticate
from db.queries.study_answers import record_judgment, record_preference, submit_item
from db.queries.study_create import create_study
from tests.study.world import METHODS, World

# Wikipedia's worked example of Fleiss' kappa (10 subjects, 14 raters, 5 categories): 0.210.
FLEISS_EXAMPLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 observers,
# 12 units, nominal alpha 0.743. None = the observer did not rate the unit.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_fleiss_kappa_matches_the_worked_example() -> None:
    kappa = fleiss_kappa(FLEISS_EXAMPLE)
    assert kappa is not None and round(kappa, 3) == 0.210


def test_krippendorff_alpha_matches_krippendorffs_example() -> None:
    units = [
        {
            rater: value
            for rater, row in enumerate(KRIPPENDORFF_EXAMPLE)
            if (value := row[u]) is not None
        }
        for u in range(12)
    ]
    alpha = krippendorff_alpha_nominal(units)  # type: ignore[arg-type]
    assert alpha is not None and round(alpha, 3) == 0.743


def test_agreement_is_undefined_with_one_category_or_no_pairs() -> None:
    assert fleiss_kappa([[3, 0], [2, 0]]) is None
    assert fleiss_kappa([[1, 0]]) is None
    assert krippendorff_alpha_nominal([{1: True, 2: True}, {1: True, 2: True}]) is None


def test_fleiss_kappa_is_one_for_perfect_agreement_on_both_categories() -> None:
    kappa = fleiss_kappa([[3, 0], [0, 3], [0, 3]])
    assert kappa is not None and math.isclose(kappa, 1.0)


@pytest.fixture
def answered(engine: Engine, world: World) -> dict[str, int]:
    """Two annotators, overlap 2, one gold item; alice answers everything (gold: one wrong),
    bob answers two items and leaves a third open."""
    with session_scope(engine) as session:
        created = create_study(
            session=session,
            run_id=world.run_id,
            methods=METHODS,
            annotators=["alice", "bob"],
            overlap=2,
            gold=1,
            name="st",
        )
        ids = {}
        for annotator in created.annotators:
            access = authenticate(session=session, token=annotator.token)
            assert isinstance(access, AnnotatorAccess)
            ids[annotator.name] = access.annotator_id
    with session_scope(engine) as session:
        session.execute(update(Assignment).values(swap_sides=False))
        gold_item = session.scalar(select(StudyItem.id).where(StudyItem.is_gold.is_(True)))
        gold_source_position = session.scalar(
            select(StudyOption.position).where(
                StudyOption.item_id == gold_item, StudyOption.gold_role == "gold_source"
            )
        )
        gold_positions = dict(
            session.execute(
                select(Assignment.annotator_id, Assignment.position).where(
                    Assignment.item_id == gold_item
                )
            ).all()
        )

    def answer(name: str, position: int, a: bool, b: bool, submit: bool = True) -> None:
        with session_scope(engine) as session:
            for side, ok in (("A", a), ("B", b)):
                record_judgment(
                    session=session, annotator_id=ids[name], position=position, side=side,
                    acceptable=ok,
                )  # fmt: skip
            record_preference(
                session=session, annotator_id=ids[name], position=position, preference="A"
            )
            if submit:
                submit_item(session=session, annotator_id=ids[name], position=position)

    for position in range(6):
        if position == gold_positions[ids["alice"]]:
            # gold: source judged acceptable (wrong), target acceptable (right)
            answer("alice", position, True, True)
        else:
            answer("alice", position, True, False)  # handsoff (option 0) yes, IP2P no
    bob_regular = [p for p in range(6) if p != gold_positions[ids["bob"]]]
    answer("bob", bob_regular[0], True, True)
    answer("bob", bob_regular[1], True, False)
    answer("bob", bob_regular[2], False, False, submit=False)  # open: not counted
    return {"gold_source_position": int(gold_source_position or 0), **ids}


def test_progress_gold_accuracy_and_time_per_annotator(
    engine: Engine, answered: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        study_id = list_studies(session=session)[0].id
        stats = {s.name: s for s in annotator_stats(session=session, study_id=study_id)}
    alice, bob = stats["alice"], stats["bob"]
    assert (alice.assigned, alice.completed) == (6, 6)
    assert (bob.assigned, bob.completed) == (6, 2)
    assert (alice.gold_judgments, alice.gold_correct, alice.gold_accuracy) == (2, 1, 0.5)
    assert bob.gold_judgments == 0 and bob.gold_accuracy is None
    assert alice.median_seconds is not None and alice.median_seconds >= 0
    assert alice.last_submitted_at is not None and not alice.revoked


def test_acceptability_and_agreement_count_submitted_regular_items(
    engine: Engine, answered: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        study = list_studies(session=session)[0]
        rates = acceptability_so_far(session=session, study_id=study.id)
        agreement = agreement_so_far(session=session, study_id=study.id)
    assert (study.items, study.gold_items, study.annotators) == (5, 1, 2)
    by_method = {r.method.split("@")[0]: r for r in rates}
    # alice: 5 items handsoff yes, IP2P no; bob (submitted): handsoff yes twice, IP2P yes once
    assert (by_method["handsoff"].judgments, by_method["handsoff"].acceptable) == (7, 7)
    assert (by_method["instruct-pix2pix"].judgments, by_method["instruct-pix2pix"].acceptable) == (
        7,
        1,
    )
    # 4 edits rated twice: handsoff yes/yes twice, IP2P (no, yes) and (no, no)
    assert (agreement.units, agreement.ratings) == (4, 8)
    expected = fleiss_kappa([[2, 0], [2, 0], [1, 1], [0, 2]])
    assert agreement.fleiss_kappa == pytest.approx(expected)
    assert expected == pytest.approx((0.75 - (5 / 8) ** 2 - (3 / 8) ** 2) / (1 - 0.53125))


def test_csv_export_has_one_row_per_judgment_unblinded(
    engine: Engine, answered: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        study_id = list_studies(session=session)[0].id
        text = judgments_csv(session=session, study_id=study_id)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 12 + 6  # alice 6 items, bob 3 (one open), two judgments each
    assert sum(r["submitted"] == "False" for r in rows) == 2
    gold_rows = [r for r in rows if r["is_gold"] == "True"]
    assert {r["gold_role"] for r in gold_rows} == {"gold_source", "gold_target"}
    assert {r["method"] for r in rows if r["is_gold"] == "False"} == set(METHODS)
    handsoff = [r for r in rows if r["method"] == "handsoff"]
    assert all(r["side_shown"] == "A" and r["preferred"] == "yes" for r in handsoff)
