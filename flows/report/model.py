"""What a report is made of, independent of how it is printed: sections of paragraphs,
tables and figures, plus the list of what is missing and the underlying row sets.

Tables keep two views of every row: display strings (for text, Markdown, HTML) and the raw
values (for CSV export), so exported numbers are never parsed back from formatted text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class Table:
    key: str  # file-name-safe identifier, e.g. "metric_means"
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, display: list[str], record: dict[str, Any]) -> None:
        if len(display) != len(self.columns):
            raise ValueError(f"table {self.key}: {len(display)} cells for {len(self.columns)}")
        self.rows.append(display)
        self.records.append(record)


@dataclass
class Paragraph:
    text: str


@dataclass
class SweepSeries:
    """One metric of a one-parameter sweep: x values, means and interval ends."""

    label: str
    x: list[float]
    mean: list[float]
    low: list[float | None]
    high: list[float | None]
    references: dict[str, float] = field(default_factory=dict)  # other configs' means


@dataclass
class SweepFigure:
    """Every metric against the swept parameter, one panel per metric."""

    key: str
    title: str
    parameter: str
    series: list[SweepSeries]


@dataclass
class RateFigure:
    """Rates with their intervals, one bar per category (e.g. acceptability per method)."""

    key: str
    title: str
    categories: list[str]
    rates: list[float]
    low: list[float]
    high: list[float]
    ylabel: str


Figure = SweepFigure | RateFigure
Block = Table | Paragraph | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.blocks.append(Paragraph(text))

    def tables(self) -> list[Table]:
        return [block for block in self.blocks if isinstance(block, Table)]

    def figures(self) -> list[Figure]:
        return [block for block in self.blocks if isinstance(block, SweepFigure | RateFigure)]


@dataclass
class Report:
    title: str
    sections: list[Section] = field(default_factory=list)
    # What the report could not show and why (partial report), one sentence each.
    missing: list[str] = field(default_factory=list)
    # Underlying rows for export: name -> frame (edit metrics, judgments, ...).
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables()]

    def figures(self) -> list[Figure]:
        return [figure for section in self.sections for figure in section.figures()]
