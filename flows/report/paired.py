"""Paired differences of every method config to a baseline (by default the paper's,
InstructPix2Pix) over the samples both edited, with bootstrap intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.models.methods import MIN_HASH_PREFIX, named_by
from flows.report import formatting as fmt
from flows.report.model import Section, Table
from flows.report.options import ReportInputError, ReportOptions
from handsoff_core.statistics import MeanEstimate

if TYPE_CHECKING:
    from flows.report.metrics_section import RunMetrics


def choose_baseline(metrics: RunMetrics, requested: str | None) -> int | None:
    configs = {s.method_config_id: s for s in metrics.statuses}
    if requested is not None:
        if requested.isdigit() and int(requested) in configs:
            return int(requested)
        matches = [
            config_id
            for config_id, status in configs.items()
            if _names(requested, status.method, status.config_hash, metrics.labels[config_id])
        ]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{c} ({metrics.labels[c]})" for c in configs)
        reason = "is ambiguous" if matches else "is not a config of this run"
        raise ReportInputError(f"baseline {requested!r} {reason}; the run's configs: {known}")
    pix2pix = [c for c, s in configs.items() if s.method == "instruct-pix2pix"]
    return pix2pix[0] if len(pix2pix) == 1 else None


def _names(requested: str, method: str, config_hash: str, label: str) -> bool:
    """Whether `requested` names this config: its method, its label, or `method@hash-prefix`
    (a label's first word, as `--methods` accepts it)."""
    if requested in (method, label):
        return True
    named, at, prefix = requested.partition("@")
    return (
        bool(at and named)
        and len(prefix) >= MIN_HASH_PREFIX
        and named_by(method, config_hash, name=named, prefix=prefix)
    )


def paired_section(
    metrics: RunMetrics,
    baseline_id: int,
    differences: dict[int, list[MeanEstimate | None]],
    options: ReportOptions,
) -> Section:
    baseline_label = metrics.labels[baseline_id]
    section = Section(f"Paired differences to {baseline_label}")
    table = Table(
        "paired_differences",
        f"Mean of (config - {baseline_label}) over samples both edited, "
        f"{options.confidence:.0%} bootstrap interval",
        ["metric", "method config", "pairs", "mean difference", "CI"],
    )
    baseline = metrics.matrices.get(baseline_id)
    if baseline is None:
        section.say(f"The baseline {baseline_label} has no done edits: no paired differences.")
        return section
    labels = [metrics.key_labels[key] for key in metrics.keys]
    baseline_empty = [label for label, n in zip(labels, baseline.n_values, strict=True) if n == 0]
    for j, key in enumerate(metrics.keys):
        if baseline.n_values[j] == 0:
            continue
        for config_id, estimates in differences.items():
            estimate = estimates[j]
            label = metrics.labels[config_id]
            table.add(
                [
                    labels[j],
                    label,
                    str(estimate.n if estimate else 0),
                    fmt.value(estimate.mean if estimate else None),
                    fmt.interval(estimate.low, estimate.high) if estimate else fmt.NOT_AVAILABLE,
                ],
                {
                    "metric": key[0],
                    "caption_kind": key[1],
                    "metric_version": key[2],
                    "method_config_id": config_id,
                    "baseline_config_id": baseline_id,
                    "pairs": estimate.n if estimate else 0,
                    "mean_difference": estimate.mean if estimate else None,
                    "ci_low": estimate.low if estimate else None,
                    "ci_high": estimate.high if estimate else None,
                },
            )
    table.notes.append(
        "pairs: samples where both configs have a value; the bootstrap resamples samples."
    )
    if baseline_empty:
        table.notes.append(
            f"not shown: {', '.join(baseline_empty)} (the baseline has no values for them)."
        )
    section.blocks.append(table)
    return section
