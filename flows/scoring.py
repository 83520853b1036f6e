"""Scoring a run's edits: the plain function under the `score` flow.

An edit is scored when it lacks a value of the *current* version of a requested metric
(a new metric model or definition gives a new version, so rescoring is automatic and old
values stay). Values are computed by `handsoff_core.metrics` and stored with version and
caption kind; existing keys are never overwritten. Oracle edits (identity, ground truth)
are ordinary edits here. The preserved region is judged against the sample's gold source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.queries.datasets import sample_masks_and_local_captions
from db.queries.metrics import (
    DoneEdit,
    MetricRow,
    done_edits,
    insert_metric_values,
    scored_versions,
)
from flows.retry import retry_database
from flows.runs.plan import ImageReader, RunPlan, SampleRef, chunks, load_plan

if TYPE_CHECKING:
    from handsoff_core.metrics import MetricModels

logger = logging.getLogger(__name__)


@dataclass
class ScoreReport:
    run_id: int
    edits: int = 0  # done edits in the run
    scored: int = 0  # edits scored by this call
    already_scored: int = 0
    failed: int = 0  # edits the metrics refused (ItemError), named in the log
    values: int = 0  # metric values offered for storage
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def current_versions(models: MetricModels | None, metrics: Collection[str]) -> dict[str, str]:
    """{metric: the version its value would have if computed now} (loads metric models)."""
    from handsoff_core.metrics import metric_spec, metric_version

    versions: dict[str, str] = {}
    for metric in metrics:
        spec = metric_spec(metric)
        if spec.model is None:
            versions[metric] = metric_version(metric)
            continue
        if models is None:
            raise ValueError(f"metric {metric!r} needs metric models")
        loaded = getattr(models, spec.model)()  # the model whose identity the version names
        versions[metric] = metric_version(
            metric, model_identity=loaded.identity, dtype=models.dtype
        )
    return versions


def _sample_index(plan: RunPlan) -> dict[int, SampleRef]:
    return {sample.id: sample for sample in plan.samples}


def _sample_extras(
    engine: Engine, sample_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None]]:
    """{sample id: (mask sha256, local output caption)}: what `SampleRef` does not carry."""

    def read() -> dict[int, tuple[str | None, str | None]]:
        with session_scope(engine) as session:
            return sample_masks_and_local_captions(session=session, sample_ids=sample_ids)

    return retry_database(read, what="reading masks and local captions")


def score_run(
    *,
    engine: Engine,
    run_id: int,
    models: MetricModels | None,
    metrics: Collection[str] | None = None,
    batch_size: int = 16,
    on_edit: Callable[[], None] | None = None,
) -> ScoreReport:
    """Compute and store the metrics the run's done edits lack."""
    from handsoff_core.errors import ItemError
    from handsoff_core.metrics import ALL_METRICS, EditToScore, score_edits

    started = time.perf_counter()
    wanted = tuple(metrics if metrics is not None else ALL_METRICS)  # registered ones too
    plan = load_plan(engine, run_id)
    samples = _sample_index(plan)
    report = ScoreReport(run_id=run_id)

    def read_edits() -> tuple[list[DoneEdit], dict[int, set[tuple[str, str]]]]:
        with session_scope(engine) as session:
            edits = [
                edit
                for edit in done_edits(
                    session=session,
                    dataset_id=plan.dataset_id,
                    method_config_ids=[config.id for config in plan.configs],
                    seed=plan.seed,
                    setting=plan.setting,
                )
                if edit.sample_id in samples
            ]
            return edits, scored_versions(session=session, edit_ids=[e.id for e in edits])

    edits, scored = retry_database(read_edits, what=f"run {run_id}: reading edits to score")
    report.edits = len(edits)
    if not edits:
        report.seconds = time.perf_counter() - started
        return report
    versions = current_versions(models, wanted)
    expected = set(versions.items())
    lacking = [edit for edit in edits if not expected <= scored.get(edit.id, set())]
    report.already_scored = len(edits) - len(lacking)
    extras = _sample_extras(engine, sorted({edit.sample_id for edit in lacking}))
    images = ImageReader(engine, capacity=4 * batch_size)
    for batch in chunks(lacking, batch_size):
        items = []
        for edit in batch:
            sample = samples[edit.sample_id]
            mask_sha, local_caption = extras.get(edit.sample_id, (None, None))
            items.append(
                EditToScore(
                    item_id=f"{sample.external_id} edit {edit.id}",
                    edit=images.get(edit.output_image),
                    source=images.get(sample.source_image),
                    target=images.get(sample.target_image) if sample.target_image else None,
                    mask=images.get(mask_sha, mode="L") if mask_sha else None,
                    global_caption=sample.output_caption_global,
                    local_caption=local_caption,
                    generated_captions=edit.after_captions,
                )
            )
        results = score_edits(items, models, metrics=wanted, batch_size=batch_size)
        rows: list[tuple[int, list[MetricRow]]] = []
        for edit, result in zip(batch, results, strict=True):
            if isinstance(result, ItemError):
                report.failed += 1
                logger.warning("edit %d cannot be scored: %s", edit.id, result)
                continue
            rows.append(
                (
                    edit.id,
                    [
                        MetricRow(
                            metric=value.metric,
                            metric_version=value.version,
                            caption_kind=value.caption_kind,
                            value=value.value,
                            not_applicable=value.not_applicable,
                        )
                        for value in result
                    ],
                )
            )

        def write(rows: list[tuple[int, list[MetricRow]]] = rows) -> int:
            with session_scope(engine) as session:
                return sum(
                    insert_metric_values(session=session, edit_id=edit_id, values=values)
                    for edit_id, values in rows
                )

        report.values += retry_database(write, what=f"run {run_id}: storing metric values")
        report.scored += len(rows)
        if on_edit is not None:
            for _ in batch:
                on_edit()
    report.seconds = time.perf_counter() - started
    logger.info(
        "run %d: scored %d edits (%d already scored, %d refused) in %.1f s",
        run_id,
        report.scored,
        report.already_scored,
        report.failed,
        report.seconds,
    )
    return report
