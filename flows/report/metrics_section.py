"""The automatic-metrics half of a report: run overview, edits per config, metric means with
bootstrap intervals, paired differences to a baseline, and the edit-weight sweep."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from db.models.methods import config_label
from db.queries.reports import (
    ConfigStatus,
    RunHeader,
    config_statuses,
    done_edit_frame,
    edit_metric_frame,
    get_run_header,
    run_edit_frame,
)
from flows.report import formatting as fmt
from flows.report.metric_matrix import ConfigMetrics, config_matrices, metric_keys
from flows.report.model import Report, Section, Table
from flows.report.non_finite import drop_non_finite
from flows.report.options import ReportOptions
from flows.report.paired import choose_baseline, paired_section
from flows.report.sweep import sweep_section
from handsoff_core.statistics import MeanEstimate, bootstrap_means


@dataclass
class RunMetrics:
    """What the study half and the renderers reuse from the metrics half."""

    header: RunHeader
    statuses: list[ConfigStatus]
    labels: dict[int, str]  # method_config_id -> label
    keys: list[fmt.MetricKey]
    key_labels: dict[fmt.MetricKey, str]
    matrices: dict[int, ConfigMetrics]
    estimates: dict[int, list[MeanEstimate | None]]  # per config, per metric key


def add_metric_sections(
    *, session: Session, run_id: int, options: ReportOptions, report: Report
) -> RunMetrics:
    header = get_run_header(session=session, run_id=run_id)
    statuses = config_statuses(session=session, run_id=run_id)
    labels = {s.method_config_id: config_label(s.method, s.params, s.config_hash) for s in statuses}
    frame, odd_values = drop_non_finite(edit_metric_frame(session=session, run_id=run_id))
    if odd_values is not None:
        report.missing.append(odd_values)
    done = done_edit_frame(session=session, run_id=run_id)
    if options.include_rows:
        report.frames["edit_metrics"] = frame
        report.frames["edits"] = run_edit_frame(session=session, run_id=run_id)
    keys = metric_keys(frame)
    metrics = RunMetrics(
        header=header,
        statuses=statuses,
        labels=labels,
        keys=keys,
        key_labels=fmt.metric_labels(keys),
        matrices=config_matrices(frame, done, keys),
        estimates={},
    )
    baseline = choose_baseline(metrics, options.baseline) if statuses else None
    metrics.estimates, differences = _estimate_all(metrics, baseline, options)

    report.sections.append(_overview(header, statuses))
    report.sections.append(_edits_section(metrics, report))
    if not statuses:
        report.missing.append(f"run {run_id} has no method configs")
        return metrics
    if not keys:
        if not done.empty:
            report.missing.append(
                f"run {run_id} has {len(done)} done edits but no metric values: "
                f"run `handsoff score --run {run_id}`"
            )
        return metrics
    report.sections.append(_metric_means_section(metrics, report))
    if baseline is None:
        report.missing.append(
            "paired differences: no baseline (name one with --baseline CONFIG_ID or METHOD)"
        )
    else:
        report.sections.append(paired_section(metrics, baseline, differences, options))
    report.sections.append(sweep_section(metrics.statuses, metrics))
    return metrics


def _estimate_all(
    metrics: RunMetrics, baseline_id: int | None, options: ReportOptions
) -> tuple[dict[int, list[MeanEstimate | None]], dict[int, list[MeanEstimate | None]]]:
    """Every config's metric means and every config's paired difference to the baseline,
    from one bootstrap that resamples the run's *samples*: all intervals in the report come
    from the same resamples, as a paired design wants, and the costly part (drawing
    samples x resamples indices) is paid once. Returns (means, differences), per config a
    list over metric keys (None where there is no value)."""
    matrices = metrics.matrices
    n_keys = len(metrics.keys)
    if not matrices or n_keys == 0:
        return {c: [None] * n_keys for c in matrices}, {}
    samples = np.unique(np.concatenate([m.sample_ids for m in matrices.values()]))
    by_sample: dict[int, np.ndarray] = {}
    for config_id, matrix in matrices.items():
        block = np.full((samples.size, n_keys), np.nan)  # (samples, metrics)
        block[np.searchsorted(samples, matrix.sample_ids)] = matrix.values
        by_sample[config_id] = block
    owners = [("mean", config_id) for config_id in by_sample]
    blocks = list(by_sample.values())
    if baseline_id in by_sample:
        for config_id, block in by_sample.items():
            if config_id != baseline_id:
                owners.append(("difference", config_id))
                blocks.append(block - by_sample[baseline_id])
    columns = np.hstack(blocks)  # (samples, owners x metrics)
    has_values = ~np.isnan(columns).all(axis=0)
    flat: list[MeanEstimate | None] = [None] * columns.shape[1]
    if has_values.any():
        computed = bootstrap_means(
            columns[:, has_values],
            confidence=options.confidence,
            n_resamples=options.resamples,
            method=options.bootstrap_method,
            seed=options.seed,
        )
        for j, estimate in zip(np.flatnonzero(has_values), computed, strict=True):
            flat[j] = estimate
    means: dict[int, list[MeanEstimate | None]] = {}
    differences: dict[int, list[MeanEstimate | None]] = {}
    for position, (kind, config_id) in enumerate(owners):
        chunk = flat[position * n_keys : (position + 1) * n_keys]
        (means if kind == "mean" else differences)[config_id] = chunk
    return means, differences


def _role(method: str) -> str:
    return fmt.ORACLE_ROLES.get(method, "method")


def _overview(header: RunHeader, statuses: list[ConfigStatus]) -> Section:
    section = Section("Run")
    finished = f", finished {header.finished_at:%Y-%m-%d %H:%M}" if header.finished_at else ""
    section.say(
        f"Run {header.id} on dataset {header.dataset}: profile {header.profile}, "
        f"seed {header.seed}, setting {header.setting}, status {header.status}{finished}; "
        f"{header.samples} samples, {len(statuses)} method configs"
        + (f"; git {header.git_sha[:12]}" if header.git_sha else "")
        + "."
    )
    caveat = _measurement_caveat(header)
    if caveat:
        section.say(caveat)
    return section


def _measurement_caveat(header: RunHeader) -> str | None:
    """Say so when the numbers measure nothing: synthetic rows, or models with random weights
    (the tiny and sd14-arch profiles), whose images are noise."""
    if "synthetic" in header.provenance:
        return "Synthetic rows (flows.bench.synthetic_run): these numbers test the report only."
    from handsoff_core.errors import ConfigError
    from handsoff_core.models.profiles import parse_profile

    try:
        random_weights = parse_profile(header.profile).random_weights
    except (ConfigError, OSError):
        return None  # a user profile file not found here: nothing known either way
    if random_weights:
        return (
            f"Profile {header.profile} has random weights: the edits are noise, so these "
            "numbers exercise the pipeline and measure no method."
        )
    return None


def _edits_section(metrics: RunMetrics, report: Report) -> Section:
    section = Section("Edits per method config")
    table = Table(
        "edits",
        "Edits per method config",
        ["config", "method config", "role", "edits", "done", "failed", "not run"],
    )
    samples = metrics.header.samples
    for status in metrics.statuses:
        not_run = max(samples - status.edits, 0)
        label = metrics.labels[status.method_config_id]
        table.add(
            [
                str(status.method_config_id),
                label,
                _role(status.method),
                str(status.edits),
                str(status.done),
                str(status.failed),
                str(not_run),
            ],
            {
                "method_config_id": status.method_config_id,
                "method": status.method,
                "label": label,
                "config_hash": status.config_hash,
                "edits": status.edits,
                "done": status.done,
                "failed": status.failed,
                "not_run": not_run,
            },
        )
        if status.edits == 0:
            report.missing.append(f"{label} (config {status.method_config_id}): no edits")
        elif not_run:
            report.missing.append(
                f"{label} (config {status.method_config_id}): {not_run} of {samples} samples "
                "have no edit yet"
            )
    section.blocks.append(table)
    return section


def _metric_means_section(metrics: RunMetrics, report: Report) -> Section:
    section = Section("Automatic metrics")
    labels = [metrics.key_labels[key] for key in metrics.keys]
    means = Table(
        "metric_means", "Mean per method config (paper style)", ["method config", *labels]
    )
    detail = Table(
        "metric_intervals",
        f"Means with {_confidence(metrics)} bootstrap intervals",
        ["metric", "method config", "n", "mean", "CI", "n/a", "missing", "failed"],
    )
    for status in metrics.statuses:
        config_id = status.method_config_id
        label = metrics.labels[config_id]
        estimates = metrics.estimates.get(config_id)
        row_label = label + (
            f" ({fmt.ORACLE_ROLES[status.method]})" if status.method in fmt.ORACLE_ROLES else ""
        )
        cells = [
            fmt.value(e.mean) if e else fmt.NOT_AVAILABLE for e in estimates or [None] * len(labels)
        ]
        means.add(
            [row_label, *cells],
            {"method_config_id": config_id, "label": label}
            | {
                metric_label: (e.mean if e else None)
                for metric_label, e in zip(labels, estimates or [None] * len(labels), strict=True)
            },
        )
    plain = fmt.metric_labels(metrics.keys, arrows=False)
    gaps: dict[str, list[str]] = {}  # config label -> "metric count" of missing values
    for j, key in enumerate(metrics.keys):
        for status in metrics.statuses:
            config_id = status.method_config_id
            matrix = metrics.matrices.get(config_id)
            if matrix is None:
                continue  # no done edits: listed as missing in the edits section
            estimate = metrics.estimates[config_id][j]
            n_na = int(matrix.not_applicable[j])
            n_missing = int(matrix.missing[j])
            label = metrics.labels[config_id]
            detail.add(
                [
                    labels[j],
                    label,
                    str(estimate.n if estimate else 0),
                    fmt.value(estimate.mean if estimate else None),
                    fmt.interval(estimate.low, estimate.high) if estimate else fmt.NOT_AVAILABLE,
                    str(n_na),
                    str(n_missing),
                    str(status.failed),
                ],
                {
                    "metric": key[0],
                    "caption_kind": key[1],
                    "metric_version": key[2],
                    "method_config_id": config_id,
                    "label": label,
                    "n": estimate.n if estimate else 0,
                    "mean": estimate.mean if estimate else None,
                    "ci_low": estimate.low if estimate else None,
                    "ci_high": estimate.high if estimate else None,
                    "not_applicable": n_na,
                    "missing": n_missing,
                    "failed": status.failed,
                },
            )
            if n_missing:
                gaps.setdefault(label, []).append(f"{plain[key]} {n_missing}")
    for status in metrics.statuses:  # one line per config, in config order
        label = metrics.labels[status.method_config_id]
        if label not in gaps:
            continue
        report.missing.append(
            f"{label}: metric values missing for done edits ({', '.join(gaps[label])}); "
            f"run `handsoff score --run {metrics.header.id}`"
        )
    means.notes.append(
        "n/a: no value (metric not applicable to any edit of the config, or not scored). "
        "↓ lower is better, ↑ higher is better."
    )
    detail.notes.append(
        "n: edits with a value; n/a: edits where the metric does not apply; missing: done "
        "edits without a stored value; failed: edits that failed (no output)."
    )
    section.blocks += [means, detail]
    return section


def _confidence(metrics: RunMetrics) -> str:
    for estimates in metrics.estimates.values():
        for estimate in estimates:
            if estimate is not None:
                return f"{estimate.confidence:.0%}"
    return "95%"
