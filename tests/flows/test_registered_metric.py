"""A metric registered in one place (its `MetricSpec`) is scored, reported and in the digest.

The metric exists only in this test: the mean brightness shift of the edit from its source,
registered by a fixture that removes it afterwards. A real run of the two oracles (identity:
the edit is the source; ground truth: the edit is the target; neither needs a model) is
scored on SQLite, and the stored values are checked against an independent computation.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import Engine, select

from db.engine import session_scope
from db.models import Edit, MetricValue
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.shard import evaluate_shard
from flows.report import build_report
from flows.report.model import Report, Table
from flows.runs.digest import digest_table, headline_columns, run_digest
from flows.runs.plan import load_plan
from flows.runs.request import RunRequest, create_run
from flows.scoring import score_run
from handsoff_core.metrics import MODEL_FREE_METRICS, EditToScore, MetricSpec, NotApplicable
from handsoff_core.metrics.registry import register_metric, unregister_metric
from tests.flows.helpers import image_pixels, samples

BRIGHTNESS_SHIFT = "brightness-shift"


def brightness_shift(item: EditToScore) -> float:
    """|mean brightness of the edit - mean brightness of the source|, RGB in [0, 1]."""
    if item.source is None:
        raise NotApplicable("no source image")

    def brightness(image: Image.Image) -> float:
        return float(np.asarray(image.convert("RGB"), dtype=np.float64).mean() / 255.0)

    return abs(brightness(item.edit) - brightness(item.source))


@pytest.fixture
def brightness_metric() -> Iterator[MetricSpec]:
    spec = register_metric(
        MetricSpec(
            BRIGHTNESS_SHIFT,
            1,
            "|mean(edit) - mean(source)| over RGB values in [0, 1]; sizes may differ.",
            better="lower",
            headline="none",
            compute=brightness_shift,
        )
    )
    try:
        yield spec
    finally:
        unregister_metric(BRIGHTNESS_SHIFT)


@pytest.fixture
def oracle_run(engine: Engine, dataset: str, tiny_models_dir: Path) -> int:
    run_id = create_run(
        engine=engine, request=RunRequest(dataset=dataset, methods=["identity"], profile="tiny")
    )
    methods = ProfileMethods(profile="tiny", models_dir=tiny_models_dir, device="cpu")
    evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    return run_id


def _table(report: Report, key: str) -> Table:
    tables = [b for s in report.sections for b in s.blocks if isinstance(b, Table)]
    return next(table for table in tables if table.key == key)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_registered_metric_is_scored_reported_and_in_the_digest(
    engine: Engine, oracle_run: int, brightness_metric: MetricSpec
) -> None:
    # 1. scored: the registered metric is one of the model-free ones, so it is computed.
    assert BRIGHTNESS_SHIFT in MODEL_FREE_METRICS
    report = score_run(
        engine=engine, run_id=oracle_run, models=None, metrics=sorted(MODEL_FREE_METRICS)
    )
    assert report.scored == report.edits > 0 and report.failed == 0
    with session_scope(engine) as session:
        stored = session.execute(
            select(Edit, MetricValue).join(MetricValue, MetricValue.edit_id == Edit.id)
        ).all()
        rows = [(edit, value) for edit, value in stored if value.metric == BRIGHTNESS_SHIFT]
        by_config: dict[int, list[float]] = {}
        source_of = {sample.id: sample.source_image for sample in samples(engine)}
        for edit, value in rows:
            assert (value.metric_version, value.caption_kind) == ("brightness-shift/1", "none")
            # Independently, from the stored pixels.
            expected = abs(
                image_pixels(engine, edit.output_image).mean() / 255.0
                - image_pixels(engine, source_of[edit.sample_id]).mean() / 255.0
            )
            assert value.value == pytest.approx(expected, abs=1e-12)
            assert value.value is not None
            by_config.setdefault(edit.method_config_id, []).append(value.value)
    assert len(rows) == report.edits
    means = {config: float(np.mean(values)) for config, values in by_config.items()}
    # The identity oracle's edit is its source; the ground truth differs from its source.
    assert sorted(means.values())[0] == 0.0 and sorted(means.values())[1] > 1e-3

    # 2. reported: a column of the metric table, after the built-in ones, with its arrow.
    metric_means = _table(build_report(engine=engine, run_id=oracle_run), "metric_means")
    assert metric_means.columns[-1] == "brightness-shift ↓"
    assert metric_means.columns[1] == "l1 ↓" and "caption-bleu (global) ↑" in metric_means.columns
    for record, row in zip(metric_means.records, metric_means.rows, strict=True):
        mean = means[record["method_config_id"]]
        assert record["brightness-shift ↓"] == pytest.approx(mean, abs=1e-12)
        assert row[-1] == f"{mean:.4f}"

    # 3. in the digest: headline, so a column of the quick look, with each config's mean.
    assert headline_columns() == ["l1", "clip-i", "dino", "clip-t/global", BRIGHTNESS_SHIFT]
    digest = run_digest(engine, oracle_run)
    configs = {config.label: config.id for config in load_plan(engine, oracle_run).configs}
    for label, config_id in configs.items():
        assert digest.metrics[label][BRIGHTNESS_SHIFT] == pytest.approx(means[config_id])
    table = digest_table(digest)
    assert [str(column.header) for column in table.columns][-1] == BRIGHTNESS_SHIFT
    assert sorted(table.columns[-1].cells) == sorted(f"{m:.3f}" for m in means.values())
