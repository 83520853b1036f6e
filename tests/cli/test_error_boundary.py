"""The CLI's error boundary: each known failure is one line on stderr with its own exit code,
the database password never shown; a traceback only with --debug / HANDSOFF_DEBUG=1."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ArgumentError

from flows.cli.app import main
from flows.cli.errors import ExitCode, explain

WHERE = "sqlite:///x.db"


def _run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


@pytest.fixture(autouse=True)
def _isolated_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("HANDSOFF_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("url", "code", "words"),
    [
        (
            "postgresql+psycopg://someone:sekret@127.0.0.1:1/handsoff",
            ExitCode.DATABASE_UNREACHABLE,
            "cannot reach the database postgresql+psycopg://someone:***@127.0.0.1:1/handsoff",
        ),
        (
            "postgresqll+psycopg://someone:sekret@127.0.0.1/x",
            ExitCode.BAD_DATABASE_URL,
            "bad database URL",
        ),
        ("sqlite//missing-colon.db", ExitCode.BAD_DATABASE_URL, "bad database URL"),
        ("definitely not a url :: sekret", ExitCode.BAD_DATABASE_URL, "bad database URL"),
    ],
)
def test_db_current_on_a_bad_url_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    code: ExitCode,
    words: str,
) -> None:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    exit_code, err = _run_main(capsys, "db", "current")
    line = _one_error_line(err)
    assert exit_code == code
    assert words in line
    assert "sekret" not in err


def test_debug_shows_the_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", "not a url")
    with pytest.raises(ArgumentError):
        main(["--debug", "db", "current"])
    monkeypatch.setenv("HANDSOFF_DEBUG", "1")
    with pytest.raises(ArgumentError):
        main(["db", "current"])


def test_read_only_database_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", f"sqlite:///file:{path}?mode=ro&uri=true")
    exit_code, err = _run_main(capsys, "db", "upgrade")
    assert exit_code == ExitCode.DATABASE_READ_ONLY, err
    assert "is read-only" in _one_error_line(err)


def test_schema_newer_than_the_code_is_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sqlite_template: Path,
) -> None:
    path = tmp_path / "newer.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", f"sqlite:///{path}")
    exit_code, err = _run_main(capsys, "runs")
    assert exit_code == ExitCode.SCHEMA_MISMATCH, err
    assert "which this code does not know" in _one_error_line(err)


def test_disk_full_during_a_command_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "handsoff.db"))

    monkeypatch.setenv("HANDSOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'handsoff.db'}")
    monkeypatch.setattr("db.migrate.upgrade", full)
    exit_code, err = _run_main(capsys, "db", "upgrade")
    assert exit_code == ExitCode.DISK_FULL
    assert "disk full" in _one_error_line(err)


def test_an_unknown_error_still_shows_its_traceback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def bug(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a real bug")

    monkeypatch.setenv("HANDSOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'handsoff.db'}")
    monkeypatch.setattr("db.migrate.upgrade", bug)
    with pytest.raises(KeyError):
        main(["db", "upgrade"])


# Real driver errors, classified (the cases a test cannot cheaply cause through a command).


def _locked_error(tmp_path: Path) -> sqlite3.OperationalError:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        other.close()
        holder.close()
    raise AssertionError("no lock error")


def _full_error(tmp_path: Path) -> sqlite3.OperationalError:
    connection = sqlite3.connect(tmp_path / "full.db")
    connection.execute("CREATE TABLE t (x BLOB)")
    connection.execute("PRAGMA max_page_count = 3")
    try:
        connection.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    except sqlite3.OperationalError as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no disk-full error")


def _no_table_error(tmp_path: Path) -> sqlite3.OperationalError:
    connection = sqlite3.connect(tmp_path / "empty.db")
    try:
        connection.execute("SELECT * FROM run")
    except sqlite3.OperationalError as error:
        return error
    finally:
        connection.close()
    raise AssertionError("no missing-table error")


def test_real_driver_errors_are_classified(tmp_path: Path) -> None:
    from sqlalchemy.exc import OperationalError

    from handsoff_core.errors import ModelUnavailable

    wrapped = OperationalError("INSERT ...", {}, _locked_error(tmp_path))
    cases = {
        ExitCode.DATABASE_LOCKED: wrapped,
        ExitCode.DISK_FULL: _full_error(tmp_path),
        ExitCode.SCHEMA_MISMATCH: _no_table_error(tmp_path),
        ExitCode.MODEL_UNAVAILABLE: ModelUnavailable("clip: not in the cache"),
        ExitCode.OUT_OF_MEMORY: MemoryError(),
    }
    for code, error in cases.items():
        known = explain(error, where=WHERE)
        assert known is not None and known.code == code, (code, error)
        assert "\n" not in known.message
    # Found through the cause chain too (a flow wraps the driver's error).
    try:
        try:
            raise _locked_error(tmp_path)
        except sqlite3.OperationalError as inner:
            raise RuntimeError("task failed") from inner
    except RuntimeError as outer:
        known = explain(outer, where=WHERE)
    assert known is not None and known.code == ExitCode.DATABASE_LOCKED
    assert explain(ValueError("a bug"), where=WHERE) is None


def test_exit_codes_are_distinct() -> None:
    codes = [code.value for code in ExitCode]
    assert len(codes) == len(set(codes))
