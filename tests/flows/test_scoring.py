"""Scoring a run's edits (no Prefect): oracle rows, versions, caption kinds, idempotence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select

from db.engine import session_scope
from db.models import Edit, MetricValue
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.shard import evaluate_shard
from flows.runs.digest import run_digest
from flows.runs.request import RunRequest, create_run
from flows.scoring import current_versions, score_run
from tests.flows.helpers import image_pixels, samples


@pytest.fixture
def metric_models(tiny_profile: Any) -> Any:
    from handsoff_core.metrics import MetricModels

    return MetricModels.from_profile(tiny_profile, device="cpu")


@pytest.fixture
def evaluated_run(engine: Engine, dataset: str, tiny_models_dir: Path) -> int:
    run_id = create_run(
        engine=engine, request=RunRequest(dataset=dataset, methods=["identity"], profile="tiny")
    )
    methods = ProfileMethods(profile="tiny", models_dir=tiny_models_dir, device="cpu")
    evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    return run_id


def _values(engine: Engine) -> list[tuple[int, str, str, str, float | None, str | None]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                MetricValue.edit_id,
                MetricValue.metric,
                MetricValue.caption_kind,
                MetricValue.metric_version,
                MetricValue.value,
                MetricValue.not_applicable,
            ).order_by(MetricValue.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


# Model-based metrics once (SQLite); the PostgreSQL insert path is the same statement and
# is covered by the model-free test below on both backends.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_scores_oracle_rows_once_with_versions(
    engine: Engine, evaluated_run: int, metric_models: Any
) -> None:
    report = score_run(engine=engine, run_id=evaluated_run, models=metric_models, batch_size=4)
    n_samples = len(samples(engine))
    assert (report.edits, report.scored, report.failed) == (2 * n_samples, 2 * n_samples, 0)
    values = _values(engine)
    with session_scope(engine) as session:
        edits = {edit.id: edit for edit in session.scalars(select(Edit))}
    by_sample = {sample.id: sample for sample in samples(engine)}
    versions = current_versions(metric_models, ["l1", "clip-i", "clip-t"])
    assert versions["l1"] == "l1/1" and versions["clip-t"].startswith("clip-t/1+tiny:clip@")
    for edit_id, metric, _kind, version, value, not_applicable in values:
        assert (value is None) != (not_applicable is None)
        if metric in versions:
            assert version == versions[metric]
        if metric != "l1":
            continue
        edit = edits[edit_id]
        sample = by_sample[edit.sample_id]
        # Independently: mean |edit - target| over [0, 1] pixels.
        expected = np.abs(
            image_pixels(engine, edit.output_image) / 255.0
            - image_pixels(engine, sample.target_image) / 255.0
        ).mean()
        assert value == pytest.approx(expected, abs=1e-6)
    kinds = {(metric, kind) for _, metric, kind, *_ in values}
    assert {("clip-t", "global"), ("clip-t", "local"), ("l1", "none")} <= kinds
    # Neither oracle writes captions: caption metrics do not apply, with the reason.
    bleu = [row for row in values if row[1] == "caption-bleu"]
    assert bleu and all(row[4] is None and "no after-edit caption" in str(row[5]) for row in bleu)
    digest = run_digest(engine, evaluated_run)
    truth = next(label for label in digest.metrics if label.startswith("ground-truth"))
    assert digest.metrics[truth]["l1"] == pytest.approx(0.0, abs=1e-9)
    assert digest.metrics[truth]["clip-i"] == pytest.approx(1.0, abs=1e-5)
    # Scoring again adds nothing; a new metric version would be scored (here: none).
    again = score_run(engine=engine, run_id=evaluated_run, models=metric_models)
    assert (again.scored, again.already_scored) == (0, 2 * n_samples)
    assert _values(engine) == values


def test_model_free_metrics_need_no_models(engine: Engine, evaluated_run: int) -> None:
    report = score_run(engine=engine, run_id=evaluated_run, models=None, metrics=["l1", "l2"])
    assert report.scored == report.edits > 0
    assert {row[1] for row in _values(engine)} == {"l1", "l2"}
