"""`handsoff report` and `handsoff bench report` through the real CLI (SQLite), and the files
`--out` writes: HTML with embedded figures, CSV tables of raw values, rows as CSV/Parquet."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from db.engine import make_engine
from flows.bench.synthetic_run import populate_synthetic_evaluation
from flows.bench.synthetic_study import populate_synthetic_study
from flows.cli.app import build_app
from tests.reports.conftest import SPEC, STUDY_SPEC


@pytest.fixture
def sqlite_report_url(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    path = tmp_path / "report.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    evaluation = populate_synthetic_evaluation(engine, SPEC, name="synthetic-report")
    populate_synthetic_study(engine, evaluation, STUDY_SPEC, name="study-a")
    engine.dispose()
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    return url


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_prints_text_and_flags_a_partial_report(sqlite_report_url: str) -> None:
    code, stdout, stderr = invoke("report", "--run", "1")
    assert code == 0, stderr
    assert stdout.startswith("Hands-off evaluation report: run 1\n")
    assert "Acceptable edits per method (95% Wilson intervals):" in stdout
    assert "partial report:" in stderr  # the fixture leaves some metrics unscored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "--run", "999"], "no run with id 999 (latest run is 1)"),
        (["report", "--study", "7"], "no study with id 7; known studies: 1"),
        (["report", "--run", "1", "--format", "pdf"], "unknown format 'pdf'"),
        (["report"], "name a run (--run ID) or a study (--study ID)"),
        (["report", "--run", "1", "--baseline", "hive"], "baseline 'hive' is not a config"),
    ],
)
def test_bad_requests_exit_non_zero_with_a_clear_message(
    sqlite_report_url: str, args: list[str], message: str
) -> None:
    code, stdout, stderr = invoke(*args)
    assert code == 1
    assert message in " ".join(stderr.split())
    assert "Traceback" not in stderr and stdout == ""


def test_csv_format_prints_raw_values_per_table(sqlite_report_url: str) -> None:
    code, stdout, _ = invoke("report", "--run", "1", "--format", "csv")
    assert code == 0
    blocks = {b.splitlines()[0]: b for b in stdout.split("\n\n") if b.startswith("# ")}
    block = next(b for title, b in blocks.items() if title.startswith("# edits:"))
    records = list(csv.DictReader(io.StringIO(block.split("\n", 1)[1])))
    engine = make_engine(sqlite_report_url)
    with engine.connect() as connection:
        stored: dict[int, int] = dict(
            connection.execute(
                text("SELECT method_config_id, COUNT(*) FROM edit GROUP BY method_config_id")
            ).all()
        )
    engine.dispose()
    assert {int(r["method_config_id"]): int(r["edits"]) for r in records} == stored


def test_out_writes_html_figures_tables_and_rows(sqlite_report_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = invoke("report", "--run", "1", "--format", "html", "--out", str(out))
    assert code == 0, stderr
    # the paths of what was written, not 13 KB of HTML in the terminal
    printed = stdout.splitlines()
    assert printed[:3] == [str(out / name) for name in ("report.txt", "report.md", "report.html")]
    assert {str(out / folder) for folder in ("figures", "tables", "rows")} <= set(printed)
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count('src="data:image/png;base64,') == 2  # sweep and acceptability
    for name in ("report.txt", "report.md"):
        assert "Hands-off evaluation report: run 1" in (out / name).read_text()
    for figure in ("sweep_handsoff_weight.png", "acceptability_study1.png"):
        assert (out / "figures" / figure).read_bytes().startswith(b"\x89PNG")
    intervals = pd.read_csv(out / "tables" / "metric_intervals.csv")
    assert {"mean", "ci_low", "ci_high", "n"} <= set(intervals.columns)
    engine = make_engine(sqlite_report_url)
    with engine.connect() as connection:
        judgments = connection.execute(text("SELECT COUNT(*) FROM judgment")).scalar_one()
        values = connection.execute(text("SELECT COUNT(*) FROM metric_value")).scalar_one()
    engine.dispose()
    for stem, expected in (("judgments_study1", judgments), ("edit_metrics", values)):
        assert len(pd.read_parquet(out / "rows" / f"{stem}.parquet")) == expected
        assert len(pd.read_csv(out / "rows" / f"{stem}.csv")) == expected


def test_bench_report_builds_the_asked_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path))
    code, stdout, stderr = invoke(
        "bench", "report", "--edits", "500", "--judgments", "400", "--overlap", "2",
        "--backends", "sqlite", "--repeat", "1", "--json",
    )  # fmt: skip
    assert code == 0, stderr
    (result,) = json.loads(stdout)
    assert (result["backend"], result["edits"], result["judgments"]) == ("sqlite", 500, 400)
    assert result["report_median_s"] > 0 and result["full_export_s"] > 0
