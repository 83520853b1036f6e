"""`handsoff bench import`: every turn of the synthetic benchmark is imported into each
backend, and the figures are times and rates of that many turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import build_app
from tests.db_fixtures import postgres_admin_url

SESSIONS = 2


def test_bench_import_times_every_turn_on_both_backends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip("no PostgreSQL server (HANDSOFF_TEST_POSTGRES_URL)")
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    outcome = CliRunner().invoke(
        build_app(),
        ["bench", "import", "--sessions", str(SESSIONS), "--size", "32",
         "--postgres-url", admin, "--json"],
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    results = json.loads(outcome.stdout)
    assert [r["backend"] for r in results] == ["sqlite", "postgresql"]
    # Sessions hold 1-3 turns each; both backends imported the same, complete set.
    turns = {r["turns"] for r in results}
    assert len(turns) == 1 and SESSIONS <= turns.pop() <= 3 * SESSIONS
    for result in results:
        assert result["seconds"] >= 0 and result["turns_per_second"] > 0
        if result["seconds"] > 0.5:  # rounding makes the ratio meaningless below that
            rate = result["turns"] / result["seconds"]
            assert result["turns_per_second"] == pytest.approx(rate, rel=0.02)
    assert "PostgreSQL / SQLite throughput" in outcome.stderr


def test_bench_import_without_a_server_measures_sqlite_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HANDSOFF_BENCH_POSTGRES_URL", raising=False)
    outcome = CliRunner().invoke(
        build_app(), ["bench", "import", "--sessions", "1", "--size", "32", "--json"]
    )
    assert outcome.exit_code == 0, outcome.output
    (result,) = json.loads(outcome.stdout)
    assert result["backend"] == "sqlite" and 1 <= result["turns"] <= 3
    assert "measuring SQLite only" in outcome.stderr
