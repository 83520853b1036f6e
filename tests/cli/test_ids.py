"""Ids on the command line are bounded ASCII integers; anything else is a usage error that
names the option, before any database is touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import build_app
from flows.cli.common import MAX_ID, id_problem


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("١٢", "ASCII digits"),  # Arabic-Indic digits: int() would accept them
        ("１２", "ASCII digits"),  # full-width
        ("²", "ASCII digits"),
        ("-3", "ASCII digits"),
        ("1e3", "ASCII digits"),
        ("", "ASCII digits"),
        ("0", "out of range"),
        (str(MAX_ID + 1), "out of range"),
        ("9" * 5000, "out of range"),  # beyond int()'s digit limit: no ValueError leak
    ],
)
def test_bad_ids_are_named(raw: str, problem: str) -> None:
    found = id_problem(raw)
    assert found is not None and problem in found


def test_good_ids_pass() -> None:
    assert id_problem("12") is None
    assert id_problem(str(MAX_ID)) is None


@pytest.mark.parametrize(
    "args",
    [
        ["score", "--run"],
        ["report", "--run"],
        ["report", "--study"],
        ["run", "--resume"],
    ],
)
@pytest.mark.parametrize("raw", ["١٢", "99999999999999999999999"])
def test_commands_refuse_bad_ids_before_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], raw: str
) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", f"sqlite:///{database}")
    result = CliRunner().invoke(build_app(), [*args, raw], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{args[1]}'" in result.output
    assert raw in result.output
    assert not database.exists()
