"""`handsoff db upgrade | downgrade | current`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, get_settings

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    db = groups.db

    @db.command("upgrade")
    def upgrade_command(
        revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    ) -> None:
        """Upgrade the schema (default: to the newest revision)."""
        from db.migrate import upgrade

        settings = get_settings()
        upgrade(settings.url, revision)
        console.print(f"database {settings.redacted_url()} upgraded to {revision}")

    @db.command("downgrade")
    def downgrade_command(
        revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")],
    ) -> None:
        """Downgrade the schema to REVISION (`base` removes every table)."""
        from db.migrate import downgrade

        settings = get_settings()
        downgrade(settings.url, revision)
        console.print(f"database {settings.redacted_url()} downgraded to {revision}")

    @db.command("current")
    def current_command(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Show the schema revision of the database and of the code."""
        from db.engine import get_engine
        from db.migrate import current_revision, head_revision

        settings = get_settings()
        current = current_revision(get_engine(settings.url))
        head = head_revision(settings.url)
        if as_json:
            emit_json(
                {
                    "database": settings.redacted_url(),
                    "current": current,
                    "head": head,
                    "up_to_date": current == head,
                }
            )
            return
        state = "up to date" if current == head else f"behind (code is at {head})"
        console.print(f"{settings.redacted_url()}: {current or '(empty)'} - {state}")
