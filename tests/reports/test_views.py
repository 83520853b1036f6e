"""The report views on SQLite and PostgreSQL: present after migration, equal to the Python
definitions they mirror, and right on the cases that are easy to get wrong (ties, sides,
medians, integer types)."""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, text

from db.engine import session_scope
from db.models import Run, RunMethodConfig, Sample
from db.queries.runs import run_samples
from db.views import VIEW_NAMES
from tests.reports.conftest import SyntheticDatabase


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def test_every_report_view_exists_after_migration(report_engine: Engine) -> None:
    assert set(VIEW_NAMES) <= set(inspect(report_engine).get_view_names())
    # Views are not tables: autogenerate (tests/db/test_migrations.py) never sees them.
    assert not set(VIEW_NAMES) & set(inspect(report_engine).get_table_names())


@pytest.mark.parametrize(
    ("setting", "selection"),
    [
        ("single-turn", {}),
        ("single-turn", {"limit": 7}),
        ("single-turn", {"limit": 0}),
        ("single-turn", {"sample_ids": ["s000004", "s000011", "s000002", "missing"]}),
        ("single-turn", {"sample_ids": ["s000004", "s000011", "s000002"], "limit": 2}),
        ("single-turn", {"sample_ids": [], "limit": 3}),
        ("single-turn", {"sample_ids": None, "limit": None}),
        ("multi-turn", {"limit": 3}),
    ],
)
def test_run_samples_view_equals_the_python_selection(
    synthetic_db: SyntheticDatabase, setting: str, selection: dict[str, Any]
) -> None:
    with session_scope(synthetic_db.engine) as session:
        run = Run(
            dataset_id=synthetic_db.evaluation.dataset_id,
            profile="tiny",
            seed=0,
            setting=setting,
            selection=selection,
        )
        session.add(run)
        session.flush()
        expected = [sample.id for sample in run_samples(session=session, run=run)]
        run_id = run.id
    in_view = [
        r[0]
        for r in rows(
            synthetic_db.engine,
            "SELECT sample_id FROM v_run_samples WHERE run_id = :r ORDER BY sample_rank",
            r=run_id,
        )
    ]
    assert in_view == expected


def test_run_edits_follow_the_runs_configs_seed_and_selection(
    synthetic_db: SyntheticDatabase,
) -> None:
    # A second run over the same configs and seed, limited to 5 samples, reuses the first
    # run's edits: its view rows are exactly those 5 samples x its configs, none its own.
    evaluation = synthetic_db.evaluation
    with session_scope(synthetic_db.engine) as session:
        run = Run(
            dataset_id=evaluation.dataset_id,
            profile="synthetic-rows",
            seed=3,
            setting="single-turn",
            selection={"limit": 5},
        )
        session.add(run)
        session.flush()
        for config_id in list(evaluation.config_ids.values())[:2]:
            session.add(RunMethodConfig(run_id=run.id, method_config_id=config_id))
        run_id = run.id
    found = rows(
        synthetic_db.engine,
        "SELECT sample_id, method_config_id, produced_by_run FROM v_run_edits WHERE run_id = :r",
        r=run_id,
    )
    first_five = sorted(evaluation.sample_ids)[:5]
    assert sorted((s, c) for s, c, _ in found) == sorted(
        (s, c) for s in first_five for c in list(evaluation.config_ids.values())[:2]
    )
    assert {p for *_, p in found} == {0}


def test_metric_summary_matches_base_tables(synthetic_db: SyntheticDatabase) -> None:
    engine = synthetic_db.engine
    summary = {
        (int(c), m, k): (int(n), int(na), float(mean) if mean is not None else None)
        for c, m, k, n, na, mean in rows(
            engine,
            "SELECT method_config_id, metric, caption_kind, n_values, n_not_applicable, "
            "mean_value FROM v_metric_summary WHERE run_id = :r",
            r=synthetic_db.evaluation.run_id,
        )
    }
    base = {
        (int(c), m, k): (int(n), int(na), float(mean) if mean is not None else None)
        for c, m, k, n, na, mean in rows(
            engine,
            "SELECT e.method_config_id, mv.metric, mv.caption_kind, COUNT(mv.value), "
            "COUNT(mv.not_applicable), AVG(mv.value) FROM metric_value mv "
            "JOIN edit e ON e.id = mv.edit_id "
            "GROUP BY e.method_config_id, mv.metric, mv.caption_kind",
        )
    }
    assert summary.keys() == base.keys()
    for key, (n, na, mean) in base.items():
        assert summary[key][:2] == (n, na)
        assert summary[key][2] == pytest.approx(mean)


def test_counts_are_integers_on_both_backends(synthetic_db: SyntheticDatabase) -> None:
    # PostgreSQL sums bigints to numeric (Decimal in Python) unless the view casts.
    for row in rows(synthetic_db.engine, "SELECT * FROM v_method_acceptability"):
        assert not any(isinstance(value, Decimal) for value in row)
        assert isinstance(row.n_judgments, int) and isinstance(row.n_acceptable, int)


def test_judgments_view_unblinds_sides_methods_and_gold(synthetic_db: SyntheticDatabase) -> None:
    engine = synthetic_db.engine
    checked = rows(
        engine,
        "SELECT v.shown_as, a.swap_sides, so.position, v.method, mc.method, v.gold_correct, "
        "v.acceptable, so.expected_acceptable FROM v_judgments v "
        "JOIN judgment j ON j.id = v.judgment_id JOIN study_option so ON so.id = j.option_id "
        "LEFT JOIN method_config mc ON mc.id = so.method_config_id "
        "JOIN assignment a ON a.annotator_id = j.annotator_id AND a.item_id = j.item_id",
    )
    assert len(checked) == rows(engine, "SELECT COUNT(*) FROM judgment")[0][0]
    for shown_as, swap, position, method, stored_method, correct, acceptable, expected in checked:
        # swap_sides: option 1 is shown as "A".
        assert shown_as == ("A" if (position == 1) == bool(swap) else "B")
        assert method == stored_method
        if expected is None:
            assert correct is None
        else:
            assert correct == int(bool(acceptable) == bool(expected))


def test_item_votes_are_strict_majorities_and_ties_have_none(
    synthetic_db: SyntheticDatabase,
) -> None:
    found = rows(
        synthetic_db.engine,
        "SELECT n_judgments, n_acceptable, majority_acceptable FROM v_item_acceptability",
    )
    assert any(n == 2 * a and n > 0 for n, a, _ in found), "fixture has a tie"
    for n, acceptable, vote in found:
        if n == 0 or 2 * acceptable == n:
            assert vote is None
        else:
            assert vote == int(2 * acceptable > n)


def test_annotator_median_time_matches_python_median(synthetic_db: SyntheticDatabase) -> None:
    engine = synthetic_db.engine
    parities = set()
    for annotator_id, median in rows(
        engine, "SELECT annotator_id, median_seconds_per_item FROM v_annotator_quality"
    ):
        seconds = [
            float(r[0])
            for r in rows(
                engine,
                "SELECT seconds_spent FROM assignment WHERE annotator_id = :a "
                "AND seconds_spent IS NOT NULL",
                a=annotator_id,
            )
        ]
        assert median == pytest.approx(statistics.median(seconds))
        parities.add(len(seconds) % 2)
    assert parities == {0, 1}, "both an odd and an even number of timed items are covered"


def test_views_see_a_sample_added_later(synthetic_db: SyntheticDatabase) -> None:
    # Views are live queries, not snapshots: a new sample joins the unlimited run.
    engine = synthetic_db.engine
    run_id = synthetic_db.evaluation.run_id
    count = "SELECT COUNT(*) FROM v_run_samples WHERE run_id = :r"
    before = rows(engine, count, r=run_id)[0][0]
    with session_scope(engine) as session:
        session.add(
            Sample(
                dataset_id=synthetic_db.evaluation.dataset_id,
                external_id="late",
                session_id="late",
                turn_index=1,
                instruction="added later",
                source_image=synthetic_db.evaluation.image_sha256,
            )
        )
    after = rows(engine, count, r=run_id)[0][0]
    assert after == before + 1
