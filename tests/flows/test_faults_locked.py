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
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select, text
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


class WriteLock:
    """Another session taking the lock every writer needs, and letting it go."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Engine | None = None
        self._postgres: Connection | None = None

    @property
    def held(self) -> bool:
        return self._sqlite is not None or self._postgres is not None

    def take(self) -> None:
        if self.database_url.startswith("sqlite"):
            path = make_url(self.database_url).database
            assert path is not None
            self._sqlite = sqlite3.connect(path, isolation_level=None)
            self._sqlite.execute("BEGIN EXCLUSIVE")  # in WAL mode: readers go on, writers wait
            return
        self._engine = make_engine(self.database_url, lock_timeout_s=0)
        self._postgres = self._engine.connect()
        # EXCLUSIVE mode lets readers in (the schema check, the name look-up) and keeps
        # every writer out, as a long batch update by another session would.
        self._postgres.execute(text("LOCK TABLE dataset, sample, image IN EXCLUSIVE MODE"))

    def release(self) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
        if self._postgres is not None:
            self._postgres.rollback()
            self._postgres.close()
        if self._engine is not None:
            self._engine.dispose()
        self._sqlite = self._engine = self._postgres = None


@contextmanager
def _write_lock_held(database_url: str) -> Iterator[None]:
    """Another session holds the lock every writer needs, until the block ends."""
    lock = WriteLock(database_url)
    lock.take()
    try:
        yield
    finally:
        lock.release()


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


@pytest.fixture(scope="module")
def two_batches(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """118 small samples: more than one import batch (50), so a commit happens mid-import."""
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    out = tmp_path_factory.mktemp("locked") / "bench"
    write_synthetic_benchmark(out, sessions=60, seed=1, size=32)
    return out


def test_a_lock_taken_between_two_batches_ends_the_import(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    two_batches: Path,
) -> None:
    import handsoff_core.data

    monkeypatch.setenv("HANDSOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_SQLITE_BUSY_TIMEOUT_S", "0.1")
    monkeypatch.setenv("HANDSOFF_POSTGRES_LOCK_TIMEOUT_S", "0.1")
    monkeypatch.delenv("HANDSOFF_DEBUG", raising=False)
    monkeypatch.chdir(tmp_path)
    lock = WriteLock(database_url)
    read_dataset = handsoff_core.data.read_dataset

    def read_then_lock(*args: Any, **kwargs: Any) -> Iterator[Any]:
        """The dataset's records; once the first batch is committed (the importer holds no
        lock while it pulls the next record), another session takes the write lock."""
        for record in read_dataset(*args, **kwargs):
            if not lock.held and _row_counts(database_url)["sample"] > 0:
                lock.take()
            yield record

    monkeypatch.setattr(handsoff_core.data, "read_dataset", read_then_lock)
    try:
        code, err = _run_main(capsys, "data", "import", str(two_batches), "--name", "halfway")
    finally:
        lock.release()
    assert code == ExitCode.DATABASE_LOCKED, err
    assert "is locked by another process" in _one_error_line(err)
    counts = _row_counts(database_url)
    assert 0 < counts["sample"] < 118  # the first batch kept, whole
