"""The consistency test on random studies: whatever mix of verdicts, can't-judge answers,
open and reopened items and revoked annotators, the views, the report, the admin figures
and the CSV export count exactly what the rule gives when applied to the plan in Python."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter

import pytest
from sqlalchemy import Engine, text

from db.engine import session_scope
from db.queries.study_admin import acceptability_so_far, judgments_csv, list_studies
from db.queries.study_counted import agreement_table
from flows.report import build_report
from handsoff_core.statistics import agreement_summary
from tests.study.answered_study import HANDSOFF, IP2P, C, N, Plan, Y, answer_study


def random_plan(seed: int) -> Plan:
    rng = random.Random(seed)
    names = [f"a{k}" for k in range(rng.randint(3, 5))]
    items = rng.randint(4, 6)
    answers = {
        name: [tuple(rng.choices([Y, N, C], [0.45, 0.4, 0.15], k=2)) for _ in range(items)]
        for name in names
    }
    places = [(name, index) for name in names for index in range(items)]
    open_ = frozenset(p for p in places if rng.random() < 0.15)
    reopened = frozenset(p for p in places if p not in open_ and rng.random() < 0.15)
    return Plan(
        answers=answers,  # type: ignore[arg-type]
        open=open_,
        reopened=reopened,
        gold_answered=frozenset(n for n in names if rng.random() < 0.5),
        revoked=frozenset(rng.sample(names, rng.randint(0, 1))),
    )


def counted(plan: Plan, name: str, index: int) -> bool:
    """The rule: submitted (not open, not reopened) by an annotator not revoked."""
    place = (name, index)
    return name not in plan.revoked and place not in plan.open and place not in plan.reopened


@pytest.mark.parametrize("seed", [1, 3, 5])  # every kind of answer among them
def test_every_place_counts_what_the_rule_gives(engine: Engine, seed: int) -> None:
    plan = random_plan(seed)
    study = answer_study(engine, plan)
    units: dict[tuple[int, str], list[int]] = {}
    cant: Counter[str] = Counter()
    for name, rows in plan.answers.items():
        for index, verdicts in enumerate(rows):
            for method, verdict in zip((HANDSOFF, IP2P), verdicts, strict=True):
                unit = units.setdefault((index, method), [0, 0])
                if not counted(plan, name, index):
                    continue
                if verdict is C:
                    cant[method] += 1
                else:
                    unit[verdict is Y] += 1
    expected_table = {study.option_of[key]: tuple(v) for key, v in units.items()}
    expected_methods = {
        method: (
            sum(sum(v) for (_, m), v in units.items() if m == method),
            sum(v[1] for (_, m), v in units.items() if m == method),
            cant[method],
        )
        for method in (HANDSOFF, IP2P)
    }
    gold_verdicts = 2 * len(plan.gold_answered - plan.revoked)

    with engine.connect() as connection:
        in_view = {
            row.method: (row.n_judgments, row.n_acceptable, row.n_cant_judge)
            for row in connection.execute(
                text("SELECT * FROM v_method_acceptability WHERE study_id = :s"), {"s": study.id}
            )
        }
    assert in_view == expected_methods

    with session_scope(engine) as session:
        admin = {
            m.method.split("@")[0]: (m.judgments, m.acceptable, m.cant_judge)
            for m in acceptability_so_far(session=session, study_id=study.id)
        }
        (summary,) = [s for s in list_studies(session=session) if s.id == study.id]
        table = agreement_table(session=session, study_id=study.id)
        rows = list(csv.DictReader(io.StringIO(judgments_csv(session=session, study_id=study.id))))
    assert admin == expected_methods
    assert summary.judgments == sum(v[0] for v in expected_methods.values()) + gold_verdicts
    assert summary.cant_judge == sum(cant.values())
    assert dict(zip(table.unit_ids, table.counts, strict=True)) == expected_table
    exported = Counter(
        (r["method"], r["verdict"]) for r in rows if r["counted"] == "True" and r["method"]
    )
    for method, (verdicts, acceptable, cant_judge) in expected_methods.items():
        assert exported[(method, "acceptable")] == acceptable
        assert exported[(method, "not_acceptable")] == verdicts - acceptable
        assert exported[(method, "cant_judge")] == cant_judge

    report = build_report(engine=engine, study_ids=[study.id])
    tables = {t.key: t for t in report.tables()}
    in_report = {  # the report names configs by their label (method@hash8)
        r["method"].split("@")[0]: (r["judgments"], r["acceptable"], r["cant_judge"])
        for r in tables[f"acceptability_study{study.id}"].records
    }
    assert in_report == expected_methods
    agreement = agreement_summary(table)
    records = tables[f"agreement_study{study.id}"].records
    for record, coefficient in zip(records, (agreement.fleiss, agreement.alpha), strict=True):
        assert (record["value"], record["ci_low"], record["ci_high"]) == (
            coefficient.value,
            coefficient.low,
            coefficient.high,
        )
        assert record["unit_ids"] == list(coefficient.unit_ids)
    assert set(agreement.unit_ids) == {o for o, c in expected_table.items() if sum(c) >= 2}
