"""Engines and sessions. One engine per URL per process; SQLite gets foreign keys, WAL mode
and a busy timeout so concurrent writers wait (for a while) instead of failing at once.

How long a write waits for another session's lock is a setting per backend
(`HANDSOFF_SQLITE_BUSY_TIMEOUT_S`, `HANDSOFF_POSTGRES_LOCK_TIMEOUT_S`); past it the driver
raises "database is locked" / "lock timeout", which the CLI reports as exit 11."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from db.settings import load_settings


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Set before journal_mode: switching to WAL may itself have to wait for a lock.
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return on_connect


def _milliseconds(seconds: float) -> int:
    """A wait in whole milliseconds; a positive wait never rounds down to 0 (which means
    "never wait" to SQLite and "wait forever" to PostgreSQL)."""
    if seconds < 0:
        raise ValueError(f"a lock wait must be 0 s or more, got {seconds} s")
    return max(1, round(seconds * 1000)) if seconds > 0 else 0


def _with_postgres_lock_timeout(url: str, lock_timeout_ms: int, kwargs: dict[str, Any]) -> None:
    """Add `-c lock_timeout=N` to the libpq options, keeping any the URL or caller gave."""
    from sqlalchemy.engine import make_url

    connect_args = dict(kwargs.get("connect_args", {}))
    given = connect_args.get("options", make_url(url).query.get("options", ""))
    if isinstance(given, tuple):  # a query key given twice
        given = " ".join(given)
    connect_args["options"] = f"{given} -c lock_timeout={lock_timeout_ms}".strip()
    kwargs["connect_args"] = connect_args


def make_engine(url: str, *, lock_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    """An engine for `url`. `lock_timeout_s`: how long a write waits for a lock another
    session holds (None: the backend's setting, see `db.settings`)."""
    if url.startswith("sqlite"):
        from pathlib import Path

        from sqlalchemy.engine import make_url

        if lock_timeout_s is None:
            lock_timeout_s = load_settings().sqlite_busy_timeout_s
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(_milliseconds(lock_timeout_s)))
        return engine
    if lock_timeout_s is None:
        lock_timeout_s = load_settings().postgres_lock_timeout_s
    if lock_timeout_s > 0 and url.startswith("postgresql"):
        _with_postgres_lock_timeout(url, _milliseconds(lock_timeout_s), kwargs)
    # pool_pre_ping: a restarted PostgreSQL must not hand out dead connections.
    return create_engine(url, pool_pre_ping=True, **kwargs)


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    return make_engine(url)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on error."""
    with session_factory(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session in which every query sees the same database state: REPEATABLE
    READ on PostgreSQL; on SQLite an explicit BEGIN (Python's sqlite3 opens transactions
    only before writes, so without it each SELECT would see its own state)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    try:
        with connection.begin(), Session(bind=connection) as session:
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")
            yield session
    finally:
        connection.close()


class DatabaseLost(RuntimeError):
    """The database a command wrote to is no longer the one it started with (its SQLite
    file deleted or replaced, or a different PostgreSQL cluster/database behind the URL):
    what was written since is gone, so the command must not report success."""


def database_identity(engine: Engine) -> str:
    """What makes this database *this* database, to compare before and after long work.

    SQLite: the file's device and inode (a deleted file keeps its inode open in this
    process, so the path is checked, not the connection). PostgreSQL: the cluster's
    system identifier and the database's name and oid (the server's start time is left
    out on purpose: a restart of the same cluster loses nothing)."""
    import os

    from sqlalchemy import text

    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            return "sqlite:memory"
        try:
            stat = os.stat(database)
        except FileNotFoundError:
            return "sqlite:missing"
        return f"sqlite:{stat.st_dev}:{stat.st_ino}"
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT (SELECT system_identifier FROM pg_control_system()), "
                "current_database(), (SELECT oid FROM pg_database "
                "WHERE datname = current_database())"
            )
        ).one()
    return f"postgresql:{row[0]}:{row[1]}:{row[2]}"


def check_same_database(engine: Engine, started_with: str) -> None:
    """Raise DatabaseLost if `engine`'s database is not the one identified at the start."""
    now = database_identity(engine)
    if now != started_with:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseLost(
            f"the database {where} is not the one this command started with "
            f"({'its file is gone' if now == 'sqlite:missing' else 'it was replaced'}): "
            "what was written since is lost; restore it or start again"
        )
