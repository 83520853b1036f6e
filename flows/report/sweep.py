"""The edit-weight sweep (docs/method.md s1, ablations): a method's configs that differ in exactly
one numeric parameter, as a table and a figure of every metric against that parameter.

Nothing here assumes the parameter's name: it is found as the one parameter in which the
configs of a method differ (for Hands-off, the edit weight).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from db.queries.reports import ConfigStatus
from flows.report import formatting as fmt
from flows.report.model import Section, SweepFigure, SweepSeries, Table

if TYPE_CHECKING:
    from flows.report.metrics_section import RunMetrics


def sweep_section(statuses: list[ConfigStatus], metrics: RunMetrics) -> Section:
    section = Section("Parameter sweep")
    by_method: dict[str, list[ConfigStatus]] = {}
    for status in statuses:
        if status.method in fmt.ORACLE_ROLES or status.method_config_id not in metrics.matrices:
            continue
        by_method.setdefault(status.method, []).append(status)
    found = False
    for method, group in by_method.items():
        if len(group) < 2:
            continue
        varying = fmt.varying_parameters([s.params for s in group])
        values = [s.params.get(varying[0]) for s in group] if len(varying) == 1 else []
        if len(varying) != 1 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            section.say(
                f"The configs of {method} differ in {', '.join(varying) or 'nothing'}: "
                "not a one-parameter sweep, shown as separate configs above."
            )
            continue
        found = True
        _add_sweep(section, method, varying[0], group, metrics, statuses)
    if not found and not section.blocks:
        section.say("No parameter sweep in this run: one config per method.")
    return section


def _add_sweep(
    section: Section,
    method: str,
    parameter: str,
    group: list[ConfigStatus],
    metrics: RunMetrics,
    statuses: list[ConfigStatus],
) -> None:
    group = sorted(group, key=lambda s: float(s.params[parameter]))
    labels = [metrics.key_labels[key] for key in metrics.keys]
    table = Table(
        f"sweep_{_slug(method)}_{_slug(parameter)}",
        f"{method}: metrics against {parameter} (mean and bootstrap interval)",
        [parameter, "method config", *labels],
    )
    for status in group:
        estimates = metrics.estimates[status.method_config_id]
        cells = [
            f"{fmt.value(e.mean)} {fmt.interval(e.low, e.high)}" if e else fmt.NOT_AVAILABLE
            for e in estimates
        ]
        x = float(status.params[parameter])
        table.add(
            [f"{x:g}", metrics.labels[status.method_config_id], *cells],
            {parameter: x, "method_config_id": status.method_config_id}
            | {
                f"{label} mean": (e.mean if e else None)
                for label, e in zip(labels, estimates, strict=True)
            },
        )
    section.blocks.append(table)
    others = [s for s in statuses if s.method != method and s.method_config_id in metrics.matrices]
    series = []
    for j, key in enumerate(metrics.keys):
        points = [
            (float(s.params[parameter]), metrics.estimates[s.method_config_id][j]) for s in group
        ]
        present = [(x, e) for x, e in points if e is not None]
        if not present:
            continue
        references = {}
        for other in others:
            estimate = metrics.estimates[other.method_config_id][j]
            if estimate is not None:
                references[metrics.labels[other.method_config_id]] = estimate.mean
        series.append(
            SweepSeries(
                label=metrics.key_labels[key],
                x=[x for x, _ in present],
                mean=[e.mean for _, e in present],
                low=[e.low for _, e in present],
                high=[e.high for _, e in present],
                references=references,
            )
        )
    section.blocks.append(
        SweepFigure(
            key=f"sweep_{_slug(method)}_{_slug(parameter)}",
            title=f"{method}: metrics against {parameter}",
            parameter=parameter,
            series=series,
        )
    )


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")
