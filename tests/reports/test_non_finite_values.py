"""Odd metric values: scoring stores inf/NaN as not applicable with the reason; a report over
old rows holding inf/NaN leaves them out with a note and its figures stay finite."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, update

from db.engine import session_scope
from db.models import Edit, MetricValue
from db.queries.metrics import MetricRow, insert_metric_values, metric_means
from flows.bench.synthetic_run import SyntheticEvaluation, populate_synthetic_evaluation
from flows.report import build_report, render_text
from tests.reports.conftest import SPEC


@dataclass
class Evaluated:
    engine: Engine
    evaluation: SyntheticEvaluation


@pytest.fixture
def evaluated(report_engine: Engine) -> Evaluated:
    """The seeded synthetic evaluation alone (no study: the metrics half is what's tested)."""
    evaluation = populate_synthetic_evaluation(report_engine, SPEC, name="odd-values")
    return Evaluated(report_engine, evaluation)


def test_scoring_stores_non_finite_values_as_not_applicable(
    evaluated: Evaluated,
) -> None:
    engine = evaluated.engine
    with session_scope(engine) as session:
        edit_id = session.scalars(select(Edit.id).order_by(Edit.id)).first()
        assert edit_id is not None
        offered = insert_metric_values(
            session=session,
            edit_id=edit_id,
            values=[
                MetricRow("odd-inf", "odd/1", "none", math.inf),
                MetricRow("odd-ninf", "odd/1", "none", -math.inf),
                MetricRow("odd-nan", "odd/1", "none", math.nan),
                MetricRow("odd-fine", "odd/1", "none", 0.25),
            ],
        )
    assert offered == 4
    with session_scope(engine) as session:
        stored = {
            row.metric: (row.value, row.not_applicable)
            for row in session.scalars(select(MetricValue).where(MetricValue.metric.like("odd-%")))
        }
    assert stored == {
        "odd-inf": (None, "non-finite value inf"),
        "odd-ninf": (None, "non-finite value -inf"),
        "odd-nan": (None, "non-finite value nan"),
        "odd-fine": (0.25, None),
    }


def _poison(evaluated: Evaluated, metric: str) -> tuple[list[int], float]:
    """Overwrite two stored values of `metric` with inf and -inf, as an old row might hold
    (PostgreSQL keeps them; SQLite too). Returns the poisoned ids and the clean mean."""
    with session_scope(evaluated.engine) as session:
        rows = session.execute(
            select(MetricValue.id, MetricValue.value, Edit.method_config_id)
            .join(Edit, Edit.id == MetricValue.edit_id)
            .where(MetricValue.metric == metric, MetricValue.value.is_not(None))
            .order_by(Edit.method_config_id, MetricValue.id)
        ).all()
        config = rows[0].method_config_id
        of_config = [r for r in rows if r.method_config_id == config]
        poisoned = [of_config[0].id, of_config[1].id]
        clean = [r.value for r in of_config[2:]]
        session.execute(
            update(MetricValue).where(MetricValue.id == poisoned[0]).values(value=math.inf)
        )
        session.execute(
            update(MetricValue).where(MetricValue.id == poisoned[1]).values(value=-math.inf)
        )
    return poisoned, sum(clean) / len(clean)


def test_report_over_old_infinite_rows_skips_them_with_a_note(
    evaluated: Evaluated,
) -> None:
    _, clean_mean = _poison(evaluated, "l1")
    report = build_report(engine=evaluated.engine, run_id=evaluated.evaluation.run_id)
    notes = [m for m in report.missing if "not finite" in m]
    assert notes == [
        "2 stored metric values are not finite (inf or NaN) and are left out of every figure (l1 2)"
    ]
    text = render_text(report)
    assert "inf" not in text.replace("not finite (inf or NaN)", "")
    assert "nan" not in text.lower().replace("not finite (inf or nan)", "")
    # The digest's means leave the odd rows out too, and stay finite.
    with session_scope(evaluated.engine) as session:
        edit_ids = list(session.scalars(select(Edit.id)))
        means = metric_means(session=session, edit_ids=edit_ids)
    l1 = [m for m in means if m.metric == "l1"]
    assert all(m.mean is None or math.isfinite(m.mean) for m in l1)
    assert any(m.mean is not None and math.isclose(m.mean, clean_mean) for m in l1)
