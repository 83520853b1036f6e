"""`handsoff bench app`: server-side time to show the next item and to store an answer,
with N annotators working at once (default 20), on the configured database (PostgreSQL is
the case that matters; SQLite runs too and says so).

Each annotator is a thread running what the annotator page runs per request
(`flows.bench.app_page`): Streamlit serves every browser session from a thread of one
process, so threads in one process are the faithful model, GIL included. The study's
images are encoded when it is created (not timed); --no-display-images models a study made
before that, whose page encodes them on the fly. By default annotators do not pause to
think (--think-ms 0): the worst case for contention; a think time (uniform around the given
mean, before every click) models people. The bench writes its own dataset, run and study,
and deletes them afterwards unless --keep.
"""

from __future__ import annotations

import threading
import time
import uuid
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
        from db.engine import make_engine
        from db.settings import load_settings
        from flows.bench.app_page import PageTimings, annotate
        from flows.bench.app_study import build_bench_study, delete_bench_rows
        from flows.cli.database import open_database

        settings = load_settings(database_url=database_url) if database_url else get_settings()
        open_database(settings)
        engine = make_engine(settings.url, pool_size=annotators + 5, max_overflow=annotators)
        backend = engine.dialect.name
        if backend != "postgresql":
            console.print(f"[yellow]{backend}: the figures that matter are on PostgreSQL[/]")
        tag = uuid.uuid4().hex[:8]
        console.print(f"building {items} items x {annotators} annotators ({size} px images)…")
        study_id, tokens, rows = build_bench_study(
            engine,
            annotators=annotators,
            items=items,
            size=size,
            tag=tag,
            display_images=display_images,
        )
        timings = PageTimings()
        timings.count_statements_of(engine)
        start_line = threading.Barrier(annotators)
        answered: list[int] = []

        def worker(token: str, seed: int) -> None:
            start_line.wait()
            answered.append(annotate(engine, token, timings, think_s=think_ms / 1000, seed=seed))

        threads = [
            threading.Thread(target=worker, args=(token, seed)) for seed, token in enumerate(tokens)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
        if not keep:
            delete_bench_rows(engine, rows)
        engine.dispose()

        figures = timings.figures()
        summary = {
            "backend": backend,
            "database": settings.redacted_url(),
            "annotators": annotators,
            "items_per_annotator": items,
            "image_px": size,
            "think_ms": think_ms,
            "display_images": display_images,
            "items_answered": sum(answered),
            "wall_s": wall,
            "items_per_s": sum(answered) / wall,
            "operations": figures,
            "study_id": study_id if keep else None,
        }
        if as_json:
            emit_json(summary)
            return
        console.print(
            f"{backend}: {annotators} annotators (think {think_ms:.0f} ms, "
            f"images {'encoded at creation' if display_images else 'encoded on the fly'}), "
            f"{sum(answered)} items in {wall:.1f} s "
            f"({summary['items_per_s']:.0f} items/s)"
        )
        for operation, figure in figures.items():
            console.print(
                f"  {operation:<13} median {figure['median_ms']:7.1f} ms   "
                f"p95 {figure['p95_ms']:7.1f} ms   max {figure['max_ms']:7.1f} ms   "
                f"{figure['statements']:4.1f} SQL   (n={figure['count']:.0f})"
            )
