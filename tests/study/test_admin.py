"""The administrator's figures: progress, gold accuracy, time, acceptability, agreement, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine, select, update

from db.engine import session_scope
from db.models import Assignment, Judgment, Sample, Study, StudyItem, StudyOption
from db.queries.csv_safe import neutralise
from db.queries.study_admin import (
    EXPORT_COLUMNS,
    acceptability_so_far,
    annotator_stats,
    judgments_csv,
    list_studies,
)
from db.queries.study_annotators import AnnotatorAccess, authenticate
from db.queries.study_answers import record_judgment, record_preference, submit_item
from db.queries.study_counted import agreement_table
from db.queries.study_create import create_study
from handsoff_core.statistics import agreement_summary
from tests.study.world import METHODS, World


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
        table = agreement_table(session=session, study_id=study.id)
    agreement = agreement_summary(table)
    assert (study.items, study.gold_items, study.annotators) == (5, 1, 2)
    by_method = {r.method.split("@")[0]: r for r in rates}
    # alice: 5 items handsoff yes, IP2P no; bob (submitted): handsoff yes twice, IP2P yes once
    assert (by_method["handsoff"].judgments, by_method["handsoff"].acceptable) == (7, 7)
    assert (by_method["instruct-pix2pix"].judgments, by_method["instruct-pix2pix"].acceptable) == (
        7,
        1,
    )
    # 4 edits rated twice: handsoff yes/yes twice, IP2P (no, yes) and (no, no); the other
    # six regular edits have alice's verdict only (bob's open item does not count).
    assert sorted(map(tuple, table.counts)) == sorted(
        [(0, 2), (0, 2), (1, 1), (2, 0)] + [(0, 1)] * 3 + [(1, 0)] * 3
    )
    assert (agreement.units, agreement.units_left_out, agreement.ratings) == (4, 6, 8)
    # Fleiss (1971) by hand: P-bar = (1 + 1 + 0 + 1) / 4, p = (5/8, 3/8).
    p_e = (5 / 8) ** 2 + (3 / 8) ** 2
    assert agreement.fleiss_kappa == pytest.approx((0.75 - p_e) / (1 - p_e))


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
    # Bob's open item is stored and exported, but not counted.
    assert [r["counted"] for r in rows if r["submitted"] == "False"] == ["False", "False"]
    assert all(r["counted"] == "True" for r in rows if r["submitted"] == "True")


FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\t=1", "\r=1"]


def test_neutralise_prefixes_formula_text_and_leaves_other_values_alone() -> None:
    for formula in FORMULAS:
        assert neutralise(formula) == "'" + formula
    for harmless in ("make it red", "", "1+1", "a=b", " =1", "'=1"):
        assert neutralise(harmless) == harmless
    for value in (-2, -2.5, 0, True, None):
        assert neutralise(value) is value


def test_csv_export_neutralises_formulas_in_every_text_cell(
    engine: Engine, answered: dict[str, int]
) -> None:
    with session_scope(engine) as session:
        study_id = list_studies(session=session)[0].id
        samples = session.scalars(select(Sample).order_by(Sample.id)).all()
        for sample, formula in zip(samples, FORMULAS, strict=False):
            sample.instruction = formula
        session.execute(update(Study).values(name="=1+1"))
        session.execute(update(Judgment).values(acceptable=None, reason="@SUM(A1)"))
        session.execute(update(Assignment).values(seconds_spent=-2.5))
    with session_scope(engine) as session:
        text = judgments_csv(session=session, study_id=study_id)
    rows = list(csv.DictReader(io.StringIO(text)))
    by_sample = {r["sample_external_id"]: r["instruction"] for r in rows}
    for index, formula in enumerate(FORMULAS):
        if f"s{index}" in by_sample:
            assert by_sample[f"s{index}"] == "'" + formula
    assert len(by_sample) >= 5
    assert {r["study"] for r in rows} == {"'=1+1"}
    assert {r["reason"] for r in rows} == {"'@SUM(A1)"}
    assert {r["verdict"] for r in rows} == {"cant_judge"} and {r["acceptable"] for r in rows} == {
        ""
    }
    # A number stays a number, negative or not; so do ids.
    assert {r["seconds_spent"] for r in rows} == {"-2.5"}
    assert all(r["item_id"].isdigit() for r in rows)
    # No cell of the file starts a formula; the one bare negative number is a number.
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
            assert not cell.startswith("-") or cell == "-2.5", cell
    assert ",-2.5," in text and '"-2.5"' not in text
