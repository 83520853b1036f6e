"""`handsoff data import` / `data list` / `db current` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import build_app
from handsoff_core.data.synthetic.writer import write_synthetic_benchmark


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    return database_url


def test_import_json_summary_and_exit_status(cli_env: str, tmp_path: Path) -> None:
    out = tmp_path / "syn"
    write_synthetic_benchmark(out, sessions=3, seed=1, size=48)
    runner = CliRunner()
    app = build_app()

    first = runner.invoke(app, ["data", "import", str(out), "--name", "syn", "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["imported"] > 0 and summary["rejected"] == 0

    again = runner.invoke(app, ["data", "import", str(out), "--name", "syn", "--json"])
    assert json.loads(again.stdout)["imported"] == 0
    assert json.loads(again.stdout)["skipped"] == summary["imported"]

    listed = runner.invoke(app, ["data", "list", "--json"])
    (dataset,) = json.loads(listed.stdout)
    assert (dataset["name"], dataset["samples"], dataset["sessions"]) == (
        "syn",
        summary["imported"],
        3,
    )


def test_rejections_give_exit_status_3_and_name_the_item(cli_env: str, tmp_path: Path) -> None:
    (tmp_path / "ok.png").write_bytes(b"")  # empty file
    lines = [
        {"id": "empty-image", "image": "ok.png", "instruction": "add a hat"},
        {"id": "no-instruction", "image": "ok.png", "instruction": "   "},
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    result = CliRunner().invoke(
        build_app(), ["data", "import", str(tmp_path / "d.jsonl"), "--name", "d", "--json"]
    )
    assert result.exit_code == 3
    reasons = {item["id"]: item["reason"] for item in json.loads(result.stdout)["rejections"]}
    assert "empty" in reasons["empty-image"]
    assert "empty instruction" in reasons["no-instruction"]


def test_missing_path_and_unknown_format_fail_cleanly(cli_env: str, tmp_path: Path) -> None:
    app = build_app()
    missing = CliRunner().invoke(app, ["data", "import", str(tmp_path / "nope"), "--name", "x"])
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    bad = CliRunner().invoke(
        app, ["data", "import", str(tmp_path), "--name", "x", "--format", "csv"]
    )
    assert bad.exit_code == 1
    assert "unknown format 'csv'" in bad.output


def test_db_current_reports_head(cli_env: str) -> None:
    result = CliRunner().invoke(build_app(), ["db", "current", "--json"])
    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert state["up_to_date"] is True
    assert "postgres:postgres" not in state["database"]  # password never printed
