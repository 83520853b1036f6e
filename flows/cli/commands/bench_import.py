"""`handsoff bench import`: turns/s importing a MagicBrush-test-sized synthetic benchmark into
SQLite and PostgreSQL in the same run."""

from __future__ import annotations

import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.bench.throwaway_postgres import throwaway_postgres
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
        from db.engine import make_engine
        from db.migrate import upgrade
        from flows.importing import import_dataset_path
        from handsoff_core.data.synthetic.writer import write_synthetic_benchmark

        with tempfile.TemporaryDirectory(prefix="handsoff-bench-") as scratch:
            root = Path(scratch)
            started = time.perf_counter()
            synthetic = write_synthetic_benchmark(
                root / "synthetic",
                sessions=sessions,
                seed=seed,
                size=size,
                workers=os.cpu_count() or 1,
            )
            console.print(
                f"synthetic benchmark: {synthetic.sessions} sessions, {synthetic.turns} turns, "
                f"{size}px, written in {time.perf_counter() - started:.1f}s"
            )
            scratch_databases = ExitStack()
            targets: list[tuple[str, str]] = [("sqlite", f"sqlite:///{root / 'bench.db'}")]
            if postgres_url:
                targets.append(
                    (
                        "postgresql",
                        scratch_databases.enter_context(throwaway_postgres(postgres_url)),
                    )
                )
            else:
                console.print("[yellow]no --postgres-url: measuring SQLite only[/]")
            results: list[dict[str, float | int | str]] = []
            rates: list[float] = []
            try:
                for backend, url in targets:
                    upgrade(url)
                    engine = make_engine(url)
                    started = time.perf_counter()
                    summary = import_dataset_path(
                        engine=engine, path=root / "synthetic", name="bench"
                    )
                    seconds = time.perf_counter() - started
                    engine.dispose()
                    if summary.imported != synthetic.turns:
                        fail(f"{backend}: imported {summary.imported} of {synthetic.turns} turns")
                    results.append(
                        {
                            "backend": backend,
                            "turns": summary.imported,
                            "seconds": round(seconds, 2),
                            "turns_per_second": round(summary.imported / seconds, 1),
                        }
                    )
                    rates.append(summary.imported / seconds)
                    console.print(
                        f"{backend:>10}: {summary.imported} turns in {seconds:.1f}s = "
                        f"{summary.imported / seconds:.1f} turns/s"
                    )
            finally:
                scratch_databases.close()
            if len(rates) == 2:
                ratio = rates[1] / rates[0]
                console.print(f"PostgreSQL / SQLite throughput: {ratio:.2f}x")
            if as_json:
                emit_json(results)
