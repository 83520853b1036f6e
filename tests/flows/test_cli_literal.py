"""User text is never markup: names with rich markup and control characters come out of the
commands literally (markup shown as typed, control characters as visible escapes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from db.engine import make_engine, session_scope
from db.models import Dataset
from flows.cli.app import build_app
from flows.cli.common import literal
from flows.runs.request import RunRequest, create_run
from tests.flows.helpers import import_synthetic

# Markup that rich would swallow or act on, and control characters a terminal would act on.
EVIL = "[/][bold]bold[/bold][link=http://evil.example]x[/link]\x1b[31mred\rcr\x00nul"
SHOWN = "[/][bold]bold[/bold][link=http://evil.example]x[/link]\\x1b[31mred\\rcr\\x00nul"


def test_literal_escapes_markup_and_shows_control_characters() -> None:
    from rich.console import Console

    console = Console(record=True, width=300, color_system=None)
    console.print(literal(EVIL))
    assert console.export_text().strip() == SHOWN


def _output(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_app(), list(args), env={"COLUMNS": "400"})
    return result.exit_code, result.output


@pytest.fixture
def evil_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path, synthetic_dir: Path
) -> int:
    """A run over a dataset whose stored name carries markup and control characters (as an
    old row or another tool could hold; the importers refuse control characters today)."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    engine = make_engine(url)
    import_synthetic(engine, synthetic_dir, name="plain")
    run_id = create_run(
        engine=engine,
        request=RunRequest(dataset="plain", methods=["identity"], profile="tiny"),
    )
    with session_scope(engine) as session:
        session.execute(update(Dataset).where(Dataset.name == "plain").values(name=EVIL))
    engine.dispose()
    return run_id


def test_runs_table_shows_names_literally(evil_run: int) -> None:
    code, output = _output("runs")
    assert code == 0, output
    assert SHOWN in output.replace("\n", "")
    assert "\x1b" not in output and "\r" not in output and "\x00" not in output


def test_errors_quoting_user_text_show_it_literally(evil_run: int) -> None:
    code, output = _output("run", "--dataset", "[bold]nope[/bold][/]", "--methods", "identity")
    assert code == 1
    assert "[bold]nope[/bold][/]" in output
    code, output = _output("run", "--dataset", "x", "--methods", "identity", "--param", EVIL)
    assert code == 1
    assert "\x1b" not in output and "\x00" not in output
    assert "[link=http://evil.example]x[/link]" in output
