"""INSERT ... ON CONFLICT for the session's backend: the one place that knows the dialects.

Idempotent writes (an edit, an image, a metric value, a judgment) rely on the database's
unique keys rather than on read-then-write in application code, which races between
workers; both supported backends spell ON CONFLICT the same way in SQLAlchemy, but through
their own `insert` constructs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def _insert_for(dialect: str, model: Any) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"database backend {dialect!r} is not supported")


def dialect_insert(session: Session, model: Any) -> Any:
    """An INSERT construct with ON CONFLICT support for the session's backend."""
    return _insert_for(session.get_bind().dialect.name, model)


def insert_ignore(session: Session, model: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING (any unique constraint)."""
    statement: Insert = dialect_insert(session, model).on_conflict_do_nothing()
    return statement


@lru_cache(maxsize=32)
def insert_ignore_statement(dialect: str, model: Any) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING for `dialect`, built once: for writes repeated per
    row (an import stores three images a record), values go in as bound parameters, so the
    statement is neither rebuilt nor recompiled each time."""
    statement: Insert = _insert_for(dialect, model).on_conflict_do_nothing()
    return statement
