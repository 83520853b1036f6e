"""A run's lifecycle: started (provenance recorded), finished (counts and final status).

The final counts are read from the database over the run's planned items, not summed from
shard reports, so a run finished after a crash, a rerun or several workers still tells
the truth: done + failed + skipped = planned, per config and in total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import EditStatus, RunStatus
from db.queries.edits import edit_outcomes
from db.queries.runs import merge_run_provenance, set_run_status
from flows.retry import retry_database
from flows.runs.plan import RunPlan, load_plan


@dataclass
class ConfigCounts:
    label: str
    method: str
    config_hash: str
    planned: int
    done: int = 0
    failed: int = 0
    skipped: int = 0  # no edit row: not attempted (previous turn missing, shard not run)
    mean_seconds: float | None = None  # mean of the per-stage timings' sum over done edits
    errors: list[str] = field(default_factory=list)  # a few, for the summary


@dataclass
class RunOutcome:
    run_id: int
    status: str
    planned: int
    done: int
    failed: int
    skipped: int
    configs: list[ConfigCounts]

    def counts(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "done": self.done,
            "failed": self.failed,
            "skipped": self.skipped,
            "by_config": {
                item.label: {"done": item.done, "failed": item.failed, "skipped": item.skipped}
                for item in self.configs
            },
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            **self.counts(),
            "configs": [item.__dict__ for item in self.configs],
        }


def start_run(engine: Engine, run_id: int, *, provenance: Mapping[str, Any]) -> None:
    def write() -> None:
        with session_scope(engine) as session:
            merge_run_provenance(session=session, run_id=run_id, patch=provenance)
            set_run_status(session=session, run_id=run_id, status=RunStatus.RUNNING)

    retry_database(write, what=f"run {run_id}: marking it running")


def record_shard(engine: Engine, run_id: int, *, shard: str, details: Mapping[str, Any]) -> None:
    """Add one shard's provenance (host, process, device, counts) under "shards"."""

    def write() -> None:
        with session_scope(engine) as session:
            merge_run_provenance(
                session=session, run_id=run_id, patch={"shards": {shard: dict(details)}}
            )

    retry_database(write, what=f"run {run_id}: recording shard {shard}")


def summarize(engine: Engine, plan: RunPlan) -> RunOutcome:
    """Counts over the run's planned (sample, config) items, from the database."""
    sample_ids = {sample.id for sample in plan.samples}
    by_id = {config.id: config for config in plan.configs}

    def read() -> list[tuple[int, int, str, dict[str, Any] | None, str | None]]:
        with session_scope(engine) as session:
            return edit_outcomes(
                session=session, config_ids=list(by_id), seed=plan.seed, setting=plan.setting
            )

    rows = retry_database(read, what=f"run {plan.run_id}: counting edits")
    counts = {
        config.id: ConfigCounts(
            label=config.label,
            method=config.config.method,
            config_hash=config.config.config_hash(),
            planned=len(sample_ids),
        )
        for config in plan.configs
    }
    seconds: dict[int, list[float]] = {config_id: [] for config_id in counts}
    for sample_id, config_id, status, timings, error in rows:
        if sample_id not in sample_ids:
            continue
        item = counts[config_id]
        if status == EditStatus.DONE.value:
            item.done += 1
            values = [float(v) for v in (timings or {}).values() if isinstance(v, int | float)]
            if values:
                seconds[config_id].append(sum(values))
        else:
            item.failed += 1
            if error and len(item.errors) < 3:
                item.errors.append(error)
    for config_id, item in counts.items():
        item.skipped = item.planned - item.done - item.failed
        item.mean_seconds = fmean(seconds[config_id]) if seconds[config_id] else None
    items = list(counts.values())
    done = sum(item.done for item in items)
    failed = sum(item.failed for item in items)
    planned = plan.planned
    status = RunStatus.COMPLETED if done == planned else RunStatus.PARTIAL
    return RunOutcome(
        run_id=plan.run_id,
        status=status.value,
        planned=planned,
        done=done,
        failed=failed,
        skipped=planned - done - failed,
        configs=items,
    )


def finish_run(engine: Engine, run_id: int, *, error: str | None = None) -> RunOutcome:
    """Write the run's final counts and status (failed when the run itself stopped)."""
    plan = load_plan(engine, run_id)
    outcome = summarize(engine, plan)
    if error is not None:
        outcome.status = RunStatus.FAILED.value

    def write() -> None:
        with session_scope(engine) as session:
            set_run_status(
                session=session,
                run_id=run_id,
                status=RunStatus(outcome.status),
                counts=outcome.counts(),
                error=error,
            )

    retry_database(write, what=f"run {run_id}: writing its final status")
    return outcome


def outcome_markdown(outcome: RunOutcome, *, title: str | None = None) -> str:
    """The run summary as a markdown table (the Prefect artifact and `--json`-less output)."""
    lines = [
        f"## {title or f'Run {outcome.run_id}'}: {outcome.status}",
        "",
        f"{outcome.done} done, {outcome.failed} failed, {outcome.skipped} skipped "
        f"of {outcome.planned} planned edits.",
        "",
        "| config | done | failed | skipped | mean s/edit |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for item in outcome.configs:
        mean = f"{item.mean_seconds:.3f}" if item.mean_seconds is not None else "-"
        lines.append(f"| {item.label} | {item.done} | {item.failed} | {item.skipped} | {mean} |")
    errors = [(item.label, error) for item in outcome.configs for error in item.errors]
    if errors:
        lines += ["", "First errors:", ""]
        lines += [f"- {label}: {error.splitlines()[0][:200]}" for label, error in errors[:10]]
    return "\n".join(lines) + "\n"
