"""`handsoff bench import`: turns/s importing a MagicBrush-test-sized synthetic benchmark into
SQLite and PostgreSQL in the same run."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def _fresh_postgres(url: str) -> tuple[str, str]:
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"handsoff_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(False), name


def _drop_postgres(url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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
        from flows.dataset_import import import_dataset_path
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
            targets: list[tuple[str, str, str | None]] = [
                ("sqlite", f"sqlite:///{root / 'bench.db'}", None)
            ]
            if postgres_url:
                url, name = _fresh_postgres(postgres_url)
                targets.append(("postgresql", url, name))
            else:
                console.print("[yellow]no --postgres-url: measuring SQLite only[/]")
            results: list[dict[str, float | int | str]] = []
            rates: list[float] = []
            try:
                for backend, url, _ in targets:
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
                for _, _, scratch_name in targets:
                    if scratch_name is not None and postgres_url:
                        _drop_postgres(postgres_url, scratch_name)
            if len(rates) == 2:
                ratio = rates[1] / rates[0]
                console.print(f"PostgreSQL / SQLite throughput: {ratio:.2f}x")
            if as_json:
                emit_json(results)
