"""`handsoff runs`: the evaluation runs, newest first, with status and counts."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, get_settings, literal

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.root.command("runs")
    def runs_command(
        limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs.")] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List evaluation runs with their status and done/failed/skipped counts."""
        from rich.table import Table

        from db.engine import session_scope
        from db.queries.runs import list_runs
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        with session_scope(engine) as session:
            runs = list_runs(session=session, limit=limit)
        if as_json:
            emit_json([dataclasses.asdict(run) for run in runs])
            return
        if not runs:
            console.print("no runs yet: `handsoff run --dataset NAME --methods handsoff`")
            return
        table = Table(
            "id",
            "dataset",
            "status",
            "profile",
            "setting",
            "methods",
            "done",
            "failed",
            "skipped",
            "created",
        )
        for run in runs:
            counts = run.counts
            table.add_row(
                str(run.id),
                literal(run.dataset),
                literal(run.status),
                literal(run.profile),
                literal(run.setting),
                literal(", ".join(dict.fromkeys(run.methods))),
                str(counts.get("done", "-")),
                str(counts.get("failed", "-")),
                str(counts.get("skipped", "-")),
                run.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        console.print(table)
