"""`handsoff bench app`: server-side time to show the next item and to store an answer,
with N annotators working at once (default 20), on the configured database (PostgreSQL is
the case that matters; SQLite runs too and says so). flows/bench/app_speed.py measures
(annotators as threads of one process, as Streamlit serves them); this command prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, get_settings

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def register(groups: CommandGroups) -> None:
    @groups.bench.command("app")
    def bench_app_command(
        annotators: Annotated[int, typer.Option("--annotators", min=1)] = 20,
        items: Annotated[int, typer.Option("--items", min=1, help="Items per annotator.")] = 30,
        size: Annotated[int, typer.Option("--size", min=16, help="Image side in pixels.")] = 512,
        database_url: Annotated[
            str | None, typer.Option("--database-url", help="Default: the configured database.")
        ] = None,
        think_ms: Annotated[
            float, typer.Option("--think-ms", min=0, help="Mean pause before each request.")
        ] = 0.0,
        display_images: Annotated[
            bool,
            typer.Option(
                "--display-images/--no-display-images",
                help="Images encoded at study creation (--no-display-images: a study made "
                "before they existed, its images encoded by the page on the fly).",
            ),
        ] = True,
        keep: Annotated[bool, typer.Option("--keep", help="Keep the bench study.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Median and p95 server-side time to show the next item and store an answer."""
        from sqlalchemy.engine import make_url

        from db.settings import load_settings
        from flows.bench.app_speed import measure_app_speed
        from flows.cli.database import open_database

        settings = load_settings(database_url=database_url) if database_url else get_settings()
        open_database(settings)
        backend = make_url(settings.url).get_backend_name()
        if backend != "postgresql":
            console.print(f"[yellow]{backend}: the figures that matter are on PostgreSQL[/]")
        measured = measure_app_speed(
            url=settings.url,
            annotators=annotators,
            items=items,
            size=size,
            think_ms=think_ms,
            display_images=display_images,
            keep=keep,
            say=console.print,
        )
        if as_json:
            emit_json(measured.as_dict())
            return
        console.print(
            f"{backend}: {annotators} annotators (think {think_ms:.0f} ms, "
            f"images {'encoded at creation' if display_images else 'encoded on the fly'}), "
            f"{measured.items_answered} items in {measured.wall_s:.1f} s "
            f"({measured.items_per_s:.0f} items/s)"
        )
        for operation, figure in measured.operations.items():
            console.print(
                f"  {operation:<13} median {figure['median_ms']:7.1f} ms   "
                f"p95 {figure['p95_ms']:7.1f} ms   max {figure['max_ms']:7.1f} ms   "
                f"{figure['statements']:4.1f} SQL   (n={figure['count']:.0f})"
            )
