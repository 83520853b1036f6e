"""One count of answers: a study with submitted, open, reopened, can't-judge and
revoked-annotator answers gives the same acceptability, counts, can't-judge counts and
agreement in the SQL views, the report, the admin page's figures and the CSV export, and
each equals what the rule (submitted items of annotators not revoked) gives by hand.

Four annotators judge every item (overlap 4) of five regular items and one gold item:

    verdicts (handsoff / instruct-pix2pix); Y acceptable, N not, C can't judge
            i0    i1    i2              i3    i4
    ann     Y N   Y C   N N             Y Y   Y N       (and the gold item, both right)
    bob     Y Y   Y N   N Y             C N   N N open  (never submitted)
    cat     N N   Y N   Y Y reopened    Y N   Y Y
    dan     N Y   N Y   N Y             N Y   N Y       (and gold; revoked at the end)
"""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from sqlalchemy import Engine, text

from db.engine import session_scope
from db.queries.study import Verdict
from db.queries.study_admin import (
    acceptability_so_far,
    annotator_stats,
    judgments_csv,
    list_studies,
)
from db.queries.study_counted import agreement_table
from flows.report import build_report
from handsoff_core.statistics import agreement_summary
from tests.study.answered_study import (
    HANDSOFF,
    IP2P,
    REASON,
    AnsweredStudy,
    C,
    N,
    Plan,
    Y,
    answer_study,
)

ANSWERS: dict[str, list[tuple[Verdict, Verdict]]] = {
    "ann": [(Y, N), (Y, C), (N, N), (Y, Y), (Y, N)],
    "bob": [(Y, Y), (Y, N), (N, Y), (C, N), (N, N)],
    "cat": [(N, N), (Y, N), (Y, Y), (Y, N), (Y, Y)],
    "dan": [(N, Y), (N, Y), (N, Y), (N, Y), (N, Y)],
}
OPEN = {("bob", 4)}  # answered, never submitted
REOPENED = {("cat", 2)}  # submitted, then reopened and not submitted again
GOLD_ANSWERED = {"ann", "dan"}  # both gold options judged right
REVOKED = "dan"

# What the rule gives, by hand from the table above.
# (not acceptable, acceptable) counted verdicts per regular edit, and can't-judge answers.
EXPECTED_UNITS = {
    (0, HANDSOFF): (1, 2),
    (0, IP2P): (2, 1),
    (1, HANDSOFF): (0, 3),
    (1, IP2P): (2, 0),  # + ann's can't judge
    (2, HANDSOFF): (2, 0),  # cat's reopened item left out
    (2, IP2P): (1, 1),
    (3, HANDSOFF): (0, 2),  # + bob's can't judge
    (3, IP2P): (2, 1),
    (4, HANDSOFF): (0, 2),  # bob's open item left out
    (4, IP2P): (1, 1),
}
EXPECTED_METHODS = {
    # verdicts, acceptable, can't judge, items with a majority, items majority acceptable
    HANDSOFF: (12, 9, 1, 5, 4),
    IP2P: (12, 4, 1, 3, 0),
}
COUNTED_VERDICTS = 24 + 2  # regular edits + ann's two gold verdicts
CANT_JUDGE = 2
STORED = 12 + 10 + 10 + 12  # ann 6 items, bob 5, cat 5, dan 6; two answers each
NOT_COUNTED = STORED - COUNTED_VERDICTS - CANT_JUDGE  # bob's open, cat's reopened, all dan's
# Fleiss' kappa on the six edits with two verdicts (the most common number): P-bar = 4/6,
# p = (1/2, 1/2), so kappa = (2/3 - 1/2) / (1 - 1/2).
FLEISS = 1 / 3
# Krippendorff's alpha over all ten edits: coincidences o_nn = 6, o_yy = 8, o_ny = o_yn = 5,
# n = 24, n_n = 11, n_y = 13; alpha = 1 - (n - 1) * 10 / (2 * 11 * 13) = 28 / 143.
ALPHA = 28 / 143
# Per annotator, their own submitted work: completed items, verdicts, can't judge.
EXPECTED_ANNOTATORS = {"ann": (6, 11, 1), "bob": (4, 7, 1), "cat": (4, 8, 0), "dan": (6, 12, 0)}


PLAN = Plan(
    answers=ANSWERS,
    open=frozenset(OPEN),
    reopened=frozenset(REOPENED),
    gold_answered=frozenset(GOLD_ANSWERED),
    revoked=frozenset({REVOKED}),
)


@pytest.fixture
def study(engine: Engine) -> AnsweredStudy:
    return answer_study(engine, PLAN)


def expected_table(study: AnsweredStudy) -> dict[int, tuple[int, int]]:
    return {study.option_of[key]: counts for key, counts in EXPECTED_UNITS.items()}


def test_the_sql_views_count_by_the_rule(engine: Engine, study: AnsweredStudy) -> None:
    with engine.connect() as connection:
        methods = {
            row.method: (
                row.n_judgments,
                row.n_acceptable,
                row.n_cant_judge,
                row.n_items - row.n_items_without_majority,
                row.n_items_majority_acceptable,
            )
            for row in connection.execute(
                text("SELECT * FROM v_method_acceptability WHERE study_id = :s"), {"s": study.id}
            )
        }
        rates = dict(
            connection.execute(
                text("SELECT method, acceptability_rate FROM v_method_acceptability "
                     "WHERE study_id = :s"), {"s": study.id},
            ).all()
        )  # fmt: skip
        units = {
            row.option_id: (row.n_judgments - row.n_acceptable, row.n_acceptable)
            for row in connection.execute(
                text("SELECT * FROM v_item_acceptability WHERE study_id = :s AND NOT is_gold"),
                {"s": study.id},
            )
        }
        cant = dict(
            connection.execute(
                text("SELECT option_id, n_cant_judge FROM v_item_acceptability "
                     "WHERE study_id = :s AND n_cant_judge > 0"), {"s": study.id},
            ).all()
        )  # fmt: skip
        judgments = Counter(
            (int(row.counted), row.verdict == "cant_judge")
            for row in connection.execute(
                text("SELECT counted, verdict FROM v_judgments WHERE study_id = :s"),
                {"s": study.id},
            )
        )
        quality = {
            row.annotator_name: (row.n_completed, row.n_judgments, row.n_cant_judge)
            for row in connection.execute(
                text("SELECT * FROM v_annotator_quality WHERE study_id = :s"), {"s": study.id}
            )
        }
        preferences = connection.execute(
            text("SELECT COUNT(*) FROM v_preferences WHERE study_id = :s AND NOT is_gold"),
            {"s": study.id},
        ).scalar_one()
    assert methods == EXPECTED_METHODS
    assert rates == pytest.approx({HANDSOFF: 9 / 12, IP2P: 4 / 12})
    assert units == expected_table(study)
    assert cant == {study.option_of[(1, IP2P)]: 1, study.option_of[(3, HANDSOFF)]: 1}
    assert judgments == {
        (1, False): COUNTED_VERDICTS,
        (1, True): CANT_JUDGE,
        (0, False): NOT_COUNTED,
    }
    assert quality == EXPECTED_ANNOTATORS
    assert preferences == 5 + 4 + 4  # ann, bob (one open), cat (one reopened); dan revoked


def test_the_report_says_the_same(engine: Engine, study: AnsweredStudy) -> None:
    report = build_report(engine=engine, study_ids=[study.id])
    tables = {table.key: table for table in report.tables()}
    # the report names configs by their label (method@hash8): compare by method
    acceptability = {
        r["method"].split("@")[0]: (
            r["judgments"],
            r["acceptable"],
            r["cant_judge"],
            r["items_with_majority"],
            r["items_majority_acceptable"],
        )
        for r in tables[f"acceptability_study{study.id}"].records
    }
    assert acceptability == EXPECTED_METHODS
    rates = {
        r["method"].split("@")[0]: r["rate"]
        for r in tables[f"acceptability_study{study.id}"].records
    }
    assert rates == pytest.approx({HANDSOFF: 9 / 12, IP2P: 4 / 12})
    text_lines = [b.text for s in report.sections for b in s.blocks if hasattr(b, "text")]
    assert any(
        f"{COUNTED_VERDICTS} counted judgments (gold items included), {CANT_JUDGE} can't judge."
        in t
        for t in text_lines
    )
    assert any(t.startswith(f"{NOT_COUNTED} stored answers are not counted") for t in text_lines)
    agreement = {r["statistic"]: r for r in tables[f"agreement_study{study.id}"].records}
    fleiss, alpha = agreement["Fleiss' kappa"], agreement["Krippendorff's alpha (nominal)"]
    assert fleiss["value"] == pytest.approx(FLEISS) and alpha["value"] == pytest.approx(ALPHA)
    two_verdicts = sorted(o for o, c in expected_table(study).items() if sum(c) == 2)
    assert sorted(fleiss["unit_ids"]) == two_verdicts and fleiss["ratings_per_unit"] == 2
    assert sorted(alpha["unit_ids"]) == sorted(expected_table(study))
    annotators = {
        r["annotator"]: (r["completed"], r["judgments"], r["cant_judge"])
        for r in tables[f"annotators_study{study.id}"].records
    }
    assert annotators == EXPECTED_ANNOTATORS
    preferences = {r["answer"]: r["count"] for r in tables[f"preferences_study{study.id}"].records}
    assert preferences["tie"] == 13 and preferences["no answer"] == 0


def test_the_admin_page_figures_say_the_same(engine: Engine, study: AnsweredStudy) -> None:
    with session_scope(engine) as session:
        (summary,) = [s for s in list_studies(session=session) if s.id == study.id]
        methods = acceptability_so_far(session=session, study_id=study.id)
        annotators = annotator_stats(session=session, study_id=study.id)
        table = agreement_table(session=session, study_id=study.id)
    assert (summary.judgments, summary.cant_judge, summary.not_counted) == (
        COUNTED_VERDICTS, CANT_JUDGE, NOT_COUNTED,
    )  # fmt: skip
    by_method = {m.method.split("@")[0]: m for m in methods}
    for method, (verdicts, acceptable, cant, *_) in EXPECTED_METHODS.items():
        figures = by_method[method]
        assert (figures.judgments, figures.acceptable, figures.cant_judge) == (
            verdicts, acceptable, cant,
        )  # fmt: skip
        assert figures.rate == pytest.approx(acceptable / verdicts)
    assert {a.name: (a.completed, a.judgments, a.cant_judge) for a in annotators} == (
        EXPECTED_ANNOTATORS
    )
    assert {a.name for a in annotators if a.revoked} == {REVOKED}
    assert dict(zip(table.unit_ids, table.counts, strict=True)) == expected_table(study)
    assert table.cant_judge == CANT_JUDGE
    agreement = agreement_summary(table)
    assert agreement.fleiss_kappa == pytest.approx(FLEISS)
    assert agreement.krippendorff_alpha == pytest.approx(ALPHA)
    assert (agreement.units, agreement.units_left_out, agreement.ratings) == (10, 0, 24)
    # The report's numbers, interval included, are exactly these.
    report = build_report(engine=engine, study_ids=[study.id])
    (records,) = [t.records for t in report.tables() if t.key == f"agreement_study{study.id}"]
    for record, coefficient in zip(records, (agreement.fleiss, agreement.alpha), strict=True):
        assert (record["value"], record["ci_low"], record["ci_high"]) == (
            coefficient.value, coefficient.low, coefficient.high,
        )  # fmt: skip
        assert record["unit_ids"] == list(coefficient.unit_ids)


def test_the_csv_export_keeps_every_answer_and_marks_the_counted_ones(
    engine: Engine, study: AnsweredStudy
) -> None:
    with session_scope(engine) as session:
        rows = list(csv.DictReader(io.StringIO(judgments_csv(session=session, study_id=study.id))))
    assert len(rows) == STORED
    counted = [r for r in rows if r["counted"] == "True"]
    assert Counter(r["verdict"] == "cant_judge" for r in counted) == {
        False: COUNTED_VERDICTS, True: CANT_JUDGE,
    }  # fmt: skip
    assert sum(r["counted"] == "False" for r in rows) == NOT_COUNTED
    assert all(r["counted"] == "False" for r in rows if r["annotator"] == REVOKED)
    assert all(r["annotator_revoked"] == "True" for r in rows if r["annotator"] == REVOKED)
    assert all(r["counted"] == "False" for r in rows if r["submitted"] == "False")
    assert {r["reason"] for r in rows if r["verdict"] == "cant_judge"} == {REASON}
    for method, (verdicts, acceptable, cant, *_) in EXPECTED_METHODS.items():
        mine = [r for r in counted if r["method"] == method]
        assert sum(r["verdict"] != "cant_judge" for r in mine) == verdicts
        assert sum(r["verdict"] == "acceptable" for r in mine) == acceptable
        assert sum(r["verdict"] == "cant_judge" for r in mine) == cant
    per_unit: dict[tuple[int, str], list[int]] = {}
    for r in counted:
        if r["method"] and r["verdict"] != "cant_judge":
            unit = per_unit.setdefault((study.items.index(int(r["item_id"])), r["method"]), [0, 0])
            unit[r["verdict"] == "acceptable"] += 1
    assert {key: tuple(v) for key, v in per_unit.items()} == EXPECTED_UNITS
