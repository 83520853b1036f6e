"""Write a report to a folder: text, Markdown and HTML renderings, one PNG per figure, one
CSV per table (raw values) and the underlying rows as CSV and Parquet.

    OUT/report.txt  report.md  report.html
    OUT/figures/<figure>.png
    OUT/tables/<table>.csv
    OUT/rows/<rows>.csv  OUT/rows/<rows>.parquet   (edit metrics, edits, judgments, ...)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from db.queries.csv_safe import neutralise
from flows.report.html import render_html
from flows.report.model import Report
from flows.report.plots import figure_png
from flows.report.render import render_markdown, render_text, table_csv


def draw_figures(report: Report) -> dict[str, bytes]:
    """PNG bytes per figure key."""
    return {figure.key: figure_png(figure) for figure in report.figures()}


def write_report_files(
    report: Report, out_dir: Path, *, figures: dict[str, bytes] | None = None
) -> list[Path]:
    """Write everything under `out_dir` (created if needed); return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = draw_figures(report) if figures is None else figures
    written: list[Path] = []
    figure_files: dict[str, str] = {}
    for key, png in figures.items():
        path = out_dir / "figures" / f"{key}.png"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(png)
        figure_files[key] = f"figures/{key}.png"
        written.append(path)
    renderings = {
        "report.txt": render_text(report, figure_files=figure_files),
        "report.md": render_markdown(report, figure_files=figure_files),
        "report.html": render_html(report, figure_png=figures),
    }
    for name, text in renderings.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for table in report.tables():
        path = out_dir / "tables" / f"{table.key}.csv"
        path.parent.mkdir(exist_ok=True)
        path.write_text(table_csv(table), encoding="utf-8")
        written.append(path)
    for name, frame in report.frames.items():
        rows_dir = out_dir / "rows"
        rows_dir.mkdir(exist_ok=True)
        written += write_rows(frame, rows_dir / name)
    return written


def write_rows(frame: pd.DataFrame, stem: Path) -> list[Path]:
    """`stem`.csv and `stem`.parquet through one Arrow table: pyarrow's CSV writer formats
    10^5 timestamps in milliseconds where pandas' `to_csv` takes seconds."""
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.parquet

    table = pa.Table.from_pandas(frame, preserve_index=False)
    csv_path, parquet_path = stem.with_suffix(".csv"), stem.with_suffix(".parquet")
    pyarrow.parquet.write_table(table, parquet_path)
    # The CSV is for spreadsheets: text that would run as a formula is neutralised there
    # (Parquet keeps the values as stored).
    text = frame.select_dtypes(include="object").columns
    if len(text):
        frame = frame.assign(**{name: frame[name].map(neutralise) for name in text})
        table = pa.Table.from_pandas(frame, preserve_index=False)
    pyarrow.csv.write_csv(table, csv_path)
    return [csv_path, parquet_path]
