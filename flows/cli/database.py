"""The database as the CLI sees it: an engine for the configured URL, schema checked."""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import get_engine
from db.migrate import current_revision, head_revision, upgrade
from db.settings import Settings
from flows.cli.common import console, fail


def open_database(settings: Settings) -> Engine:
    """An engine whose schema is at head: upgraded if allowed, else a clear error."""
    engine = get_engine(settings.url)
    try:
        current = current_revision(engine)
    except Exception as exc:
        fail(f"cannot connect to the database {settings.redacted_url()}: {exc}")
    head = head_revision(settings.url)
    if current != head:
        if not settings.auto_migrate:
            fail(
                f"the database {settings.redacted_url()} is at revision {current or 'none'}, "
                f"the code needs {head}: run `handsoff db upgrade`"
            )
        console.print(f"[dim]upgrading database schema {current or '(empty)'} -> {head}[/]")
        upgrade(settings.url)
    return engine
