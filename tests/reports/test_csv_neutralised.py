"""The report's CSV files (`--out`: tables and rows) open in a spreadsheet as data: text
that would run as a formula gets a leading `'`; numbers, negative ones included, stay
numbers; the Parquet rows keep the values as stored."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import text

from flows.report import build_report
from flows.report.export import write_report_files
from flows.report.options import ReportOptions
from tests.reports.conftest import SyntheticDatabase

LINK = '=HYPERLINK("http://x","y")'


def cells(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_report_csv_files_neutralise_formulas_and_keep_numbers(
    synthetic_db: SyntheticDatabase, tmp_path: Path
) -> None:
    study_id = synthetic_db.study.study_id
    with synthetic_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE annotator SET name = '@SUM(A1)' WHERE name = 'annotator000'")
        )
        connection.execute(
            text("UPDATE judgment SET acceptable = NULL, reason = :r WHERE id = "
                 "(SELECT MIN(id) FROM judgment)"), {"r": LINK},
        )  # fmt: skip
    report = build_report(
        engine=synthetic_db.engine, study_ids=[study_id], options=ReportOptions(include_rows=True)
    )
    out = tmp_path / "report"
    write_report_files(report, out, figures={})

    annotators = cells(out / "tables" / f"annotators_study{study_id}.csv")
    assert "'@SUM(A1)" in {row["annotator"] for row in annotators}
    judgments = cells(out / "rows" / f"judgments_study{study_id}.csv")
    assert {row["reason"] for row in judgments} >= {"'" + LINK}
    assert "'@SUM(A1)" in {row["annotator_name"] for row in judgments}
    stored = pq.read_table(out / "rows" / f"judgments_study{study_id}.parquet").to_pydict()
    assert LINK in stored["reason"] and "@SUM(A1)" in stored["annotator_name"]

    negatives = 0
    for path in [*(out / "tables").glob("*.csv"), *(out / "rows").glob("*.csv")]:
        for row in cells(path):
            for cell in row.values():
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
                if cell.startswith("-"):
                    float(cell)  # a negative number, written as a number
                    negatives += 1
    assert negatives, "the report has negative numbers (paired differences, kappa bounds)"
