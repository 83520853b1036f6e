"""A database locked for real: another connection holds the write lock (SQLite's
`BEGIN EXCLUSIVE`, PostgreSQL's `LOCK TABLE ... IN EXCLUSIVE MODE`) while `handsoff data
import` runs with a short lock wait. The command fails with the one-line "locked" message
and exit 11, no traceback, nothing written; once the lock is released the same command
imports everything."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from db.engine import make_engine, session_scope
from db.models import Dataset, Image, Sample
from flows.cli.app import main
from flows.cli.errors import ExitCode

# Long enough that a lock is surely waited on, short enough that a test never waits 30 s.
LOCK_WAIT_S = 0.3


def _run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@contextmanager
def _write_lock_held(database_url: str) -> Iterator[None]:
    """Another session holds the lock every writer needs, until the block ends."""
    if database_url.startswith("sqlite"):
        path = make_url(database_url).database
        assert path is not None
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # in WAL mode: readers go on, writers wait
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = make_engine(database_url, lock_timeout_s=0)
    try:
        with engine.connect() as session_holding:
            # EXCLUSIVE mode lets readers in (the schema check, the name look-up) and keeps
            # every writer out, as a long batch update by another session would.
            session_holding.execute(text("LOCK TABLE dataset, sample, image IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                session_holding.rollback()
    finally:
        engine.dispose()


def _row_counts(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return {
                model.__tablename__: int(
                    session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in (Dataset, Sample, Image)
            }
    finally:
        engine.dispose()


def test_import_into_a_locked_database_fails_cleanly_then_succeeds(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    synthetic_dir: Path,
) -> None:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_SQLITE_BUSY_TIMEOUT_S", str(LOCK_WAIT_S))
    monkeypatch.setenv("HANDSOFF_POSTGRES_LOCK_TIMEOUT_S", str(LOCK_WAIT_S))
    monkeypatch.delenv("HANDSOFF_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    command = ("data", "import", str(synthetic_dir), "--name", "locked-out")
    before = _row_counts(database_url)

    with _write_lock_held(database_url):
        started = time.monotonic()
        code, err = _run_main(capsys, *command)
        waited_s = time.monotonic() - started
        line = _one_error_line(err)
    assert code == ExitCode.DATABASE_LOCKED, err
    assert "is locked by another process" in line
    assert "postgres:postgres@" not in err  # the password stays hidden
    # The short wait was the one used (the 30 s default would have taken 30 s).
    assert LOCK_WAIT_S <= waited_s < 15, waited_s
    assert _row_counts(database_url) == before, "the refused import wrote something"

    code, err = _run_main(capsys, *command)
    assert code == 0, err
    after = _row_counts(database_url)
    assert after["dataset"] == before["dataset"] + 1
    assert after["sample"] > before["sample"] and after["image"] > before["image"]
