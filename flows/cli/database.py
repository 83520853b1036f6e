"""The database as the CLI sees it: an engine for the configured URL, schema checked."""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import get_engine
from db.migrate import current_revision, head_revision, known_revision, upgrade
from db.settings import Settings
from flows.cli.common import console, fail, literal
from flows.cli.errors import ExitCode


def open_database(settings: Settings) -> Engine:
    """An engine whose schema is at head: upgraded if allowed, else a clear error.

    An unreachable database or a bad URL propagates to the CLI's error boundary
    (flows/cli/errors.py), which words it with its own exit code."""
    engine = get_engine(settings.url)
    current = current_revision(engine)
    head = head_revision(settings.url)
    if current is not None and not known_revision(settings.url, current):
        fail(
            f"the database {settings.redacted_url()} is at schema revision {current}, which "
            "this code does not know (newer code migrated it): upgrade Hands-off or use "
            "another database",
            code=ExitCode.SCHEMA_MISMATCH,
        )
    if current != head:
        if not settings.auto_migrate:
            fail(
                f"the database {settings.redacted_url()} is at revision {current or 'none'}, "
                f"the code needs {head}: run `handsoff db upgrade`",
                code=ExitCode.SCHEMA_MISMATCH,
            )
        console.print(
            f"[dim]upgrading database schema {literal(current or '(empty)')} -> {head}[/]"
        )
        upgrade(settings.url)
    return engine
