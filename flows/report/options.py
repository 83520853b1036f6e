"""Choices that change a report's numbers, in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from handsoff_core.statistics.bootstrap import DEFAULT_RESAMPLES, BootstrapMethod


class ReportInputError(ValueError):
    """A report request that cannot be served as asked (e.g. an unknown baseline)."""


@dataclass(frozen=True)
class ReportOptions:
    # Config id, method name or label of the paired-difference baseline; None picks
    # instruct-pix2pix when the run has exactly one such config (the paper's baseline).
    baseline: str | None = None
    confidence: float = 0.95  # every interval in the report
    resamples: int = DEFAULT_RESAMPLES  # bootstrap resamples per interval
    bootstrap_method: BootstrapMethod = "percentile"
    seed: int = 0  # bootstrap generator: the same database gives the same report
    include_rows: bool = False  # fetch the underlying rows for CSV/Parquet export
