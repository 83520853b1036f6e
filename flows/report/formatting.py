"""How numbers, metrics and method configs are written in a report.

One place, so every table rounds the same way and a test can state the format: values with
4 decimals (2 when |x| >= 10, e.g. PSNR in dB), rates as percentages with 1 decimal,
p-values with 4 decimals or in scientific notation below 0.001. A number that does not
exist is written as "n/a", never as 0. Metric columns follow the metric registry's display
order and carry its better direction (handsoff_core.metrics.registry).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handsoff_core.metrics.registry import display_rank, find_metric_spec

NOT_AVAILABLE = "n/a"

# The better direction of a metric's registry entry, as its column label shows it.
_ARROWS = {"lower": " ↓", "higher": " ↑"}
ORACLE_ROLES = {"identity": "oracle: unedited source", "ground-truth": "oracle: target"}


def value(x: float | None) -> str:
    if x is None:
        return NOT_AVAILABLE
    return f"{x:.2f}" if abs(x) >= 10 else f"{x:.4f}"


def interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return NOT_AVAILABLE
    return f"[{value(low)}, {value(high)}]"


def percent(x: float | None) -> str:
    return NOT_AVAILABLE if x is None else f"{100 * x:.1f}%"


def percent_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return NOT_AVAILABLE
    return f"[{percent(low)}, {percent(high)}]"


def p_value(p: float | None) -> str:
    if p is None:
        return NOT_AVAILABLE
    return f"{p:.4f}" if p >= 0.001 else f"{p:.1e}"


def seconds(x: float | None) -> str:
    return NOT_AVAILABLE if x is None else f"{x:.1f}"


MetricKey = tuple[str, str, str]  # (metric, caption_kind, metric_version)


def metric_sort_key(key: MetricKey) -> tuple[int, str, str, str]:
    """The registry's display order; metrics it does not define follow alphabetically."""
    metric, caption_kind, version = key
    return (display_rank(metric), metric, caption_kind, version)


def metric_labels(keys: Sequence[MetricKey], *, arrows: bool = True) -> dict[MetricKey, str]:
    """Column labels: the metric, its caption kind when it has one, its version only when
    one metric appears in several versions in the same run, and the better direction
    (the metric's registry entry; none for a metric the registry does not define)."""
    versions: dict[tuple[str, str], set[str]] = {}
    for metric, caption_kind, version in keys:
        versions.setdefault((metric, caption_kind), set()).add(version)
    labels = {}
    for metric, caption_kind, version in keys:
        label = metric if caption_kind in ("none", "", None) else f"{metric} ({caption_kind})"
        if len(versions[(metric, caption_kind)]) > 1:
            label += f" [{version}]"
        spec = find_metric_spec(metric)
        if arrows and spec is not None and spec.better is not None:
            label += _ARROWS[spec.better]
        labels[(metric, caption_kind, version)] = label
    return labels


def varying_parameters(params: Sequence[Mapping[str, Any]]) -> list[str]:
    keys = sorted({k for p in params for k in p})
    return [k for k in keys if len({_canonical(p.get(k)) for p in params}) > 1]


def _canonical(x: Any) -> str:
    return repr(x)


def _short(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)
