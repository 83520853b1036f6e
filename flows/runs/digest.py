"""A run at a glance: edit counts per config and the mean of each metric.

This is the quick look printed by `handsoff run`, `handsoff score` and `handsoff demo`;
the paper-style tables with confidence intervals are `handsoff report`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.queries.edits import edit_status_counts
from db.queries.metrics import done_edits, metric_means
from flows.retry import retry_database
from flows.runs.lifecycle import RunOutcome, summarize
from flows.runs.plan import RunPlan, load_plan
from handsoff_core.metrics.registry import headline_metrics


@dataclass
class RunDigest:
    outcome: RunOutcome
    # {config label: {"metric/kind": mean or None}}
    metrics: dict[str, dict[str, float | None]]

    def as_dict(self) -> dict[str, Any]:
        return {**self.outcome.as_dict(), "metric_means": self.metrics}


def progress_count(engine: Engine, plan: RunPlan) -> int:
    """Planned items that have an edit row (done or failed): the progress bar's position."""
    with session_scope(engine) as session:
        counts = edit_status_counts(
            session=session,
            sample_ids=[sample.id for sample in plan.samples],
            method_config_ids=[config.id for config in plan.configs],
            seed=plan.seed,
            setting=plan.setting,
        )
    return sum(sum(per_config.values()) for per_config in counts.values())


def run_digest(engine: Engine, run_id: int) -> RunDigest:
    plan = load_plan(engine, run_id)
    outcome = summarize(engine, plan)
    labels = {config.id: config.label for config in plan.configs}
    sample_ids = {sample.id for sample in plan.samples}

    def read() -> list[Any]:
        with session_scope(engine) as session:
            edits = [
                edit.id
                for edit in done_edits(
                    session=session,
                    dataset_id=plan.dataset_id,
                    method_config_ids=list(labels),
                    seed=plan.seed,
                    setting=plan.setting,
                )
                if edit.sample_id in sample_ids
            ]
            return metric_means(session=session, edit_ids=edits)

    means = retry_database(read, what=f"run {run_id}: reading metric means")
    metrics: dict[str, dict[str, float | None]] = {label: {} for label in labels.values()}
    coverage: dict[tuple[str, str], int] = {}
    for mean in means:
        key = mean.metric if mean.caption_kind == "none" else f"{mean.metric}/{mean.caption_kind}"
        label = labels[mean.method_config_id]
        # Several versions of one metric (its model changed between scorings): show the
        # version that covers the most edits.
        covered = mean.values + mean.not_applicable
        if covered >= coverage.get((label, key), 0):
            coverage[(label, key)] = covered
            metrics[label][key] = mean.mean
    return RunDigest(outcome=outcome, metrics=metrics)


def headline_columns() -> list[str]:
    """The quick look's metric columns: the metrics whose registry entry is `headline` (the
    MagicBrush ones, clip-t against the global caption); every other one is in `--json`."""
    return [metric if kind == "none" else f"{metric}/{kind}" for metric, kind in headline_metrics()]


def digest_table(digest: RunDigest) -> Any:
    """A rich Table of the digest: counts and headline metric means per config."""
    from rich.table import Table

    columns = headline_columns()
    table = Table(
        title=f"run {digest.outcome.run_id}: {digest.outcome.status}",
        caption="edits done/failed/skipped; mean seconds per edit; clip-t against the global "
        "caption; every metric: --json or `handsoff report`",
    )
    table.add_column("config")
    table.add_column("edits", justify="right")
    table.add_column("s/edit", justify="right")
    for name in columns:
        table.add_column(name.removesuffix("/global"), justify="right")
    for item in digest.outcome.configs:
        means = digest.metrics.get(item.label, {})
        cells = [f"{means[c]:.3f}" if means.get(c) is not None else "-" for c in columns]
        seconds = f"{item.mean_seconds:.2f}" if item.mean_seconds is not None else "-"
        table.add_row(item.label, f"{item.done}/{item.failed}/{item.skipped}", seconds, *cells)
    return table
