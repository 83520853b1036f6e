"""`handsoff bench import`: turns/s importing a MagicBrush-test-sized synthetic benchmark into
SQLite and PostgreSQL in the same run (flows/bench/import_speed.py measures)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.bench.command("import")
    def bench_import(
        postgres_url: Annotated[
            str | None,
            typer.Option(
                "--postgres-url",
                envvar="HANDSOFF_BENCH_POSTGRES_URL",
                help="A PostgreSQL server URL (a scratch database is created and dropped).",
            ),
        ] = None,
        sessions: Annotated[int, typer.Option(help="Sessions (MagicBrush test: 535).")] = 535,
        size: Annotated[int, typer.Option(help="Image size in pixels.")] = 512,
        seed: int = 0,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Time importing a synthetic benchmark into SQLite and PostgreSQL."""
        from flows.bench.errors import BenchRefused
        from flows.bench.import_speed import measure_import_speed

        if not postgres_url:
            console.print("[yellow]no --postgres-url: measuring SQLite only[/]")
        try:
            measured = measure_import_speed(
                sessions=sessions,
                size=size,
                seed=seed,
                postgres_admin_url=postgres_url,
                say=console.print,
            )
        except BenchRefused as error:
            fail(str(error))
        ratio = measured.postgres_to_sqlite
        if ratio is not None:
            console.print(f"PostgreSQL / SQLite throughput: {ratio:.2f}x")
        if as_json:
            emit_json([b.as_dict() for b in measured.backends])
