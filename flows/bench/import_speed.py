"""Turns/s importing a MagicBrush-test-sized synthetic benchmark into SQLite and, given a
server, PostgreSQL in the same run (the same files, each into a fresh database)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.bench.errors import BenchRefused
from flows.bench.throwaway_postgres import throwaway_postgres


@dataclass(frozen=True)
class BackendImport:
    backend: str
    turns: int
    seconds: float

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "turns": self.turns,
            "seconds": round(self.seconds, 2),
            "turns_per_second": round(self.turns_per_second, 1),
        }


@dataclass(frozen=True)
class ImportSpeed:
    sessions: int
    turns: int  # of the written benchmark: every backend imported all of them
    size: int
    write_s: float  # writing the synthetic benchmark (images encoded), not an import
    backends: list[BackendImport] = field(default_factory=list)

    @property
    def postgres_to_sqlite(self) -> float | None:
        """PostgreSQL's turns/s over SQLite's, when both were measured."""
        rates = {b.backend: b.turns_per_second for b in self.backends}
        if {"sqlite", "postgresql"} <= set(rates):
            return rates["postgresql"] / rates["sqlite"]
        return None


def measure_import_speed(
    *,
    sessions: int,
    size: int,
    seed: int = 0,
    postgres_admin_url: str | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> ImportSpeed:
    """Write a synthetic benchmark of `sessions` sessions of `size` px, then time importing
    it into a fresh SQLite file and (with `postgres_admin_url`) a throwaway PostgreSQL
    database on that server."""
    from db.engine import make_engine
    from db.migrate import upgrade
    from flows.importing import import_dataset_path
    from handsoff_core.data.synthetic.writer import write_synthetic_benchmark

    with tempfile.TemporaryDirectory(prefix="handsoff-bench-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        synthetic = write_synthetic_benchmark(
            root / "synthetic", sessions=sessions, seed=seed, size=size, workers=os.cpu_count() or 1
        )
        write_s = time.perf_counter() - started
        say(
            f"synthetic benchmark: {synthetic.sessions} sessions, {synthetic.turns} turns, "
            f"{size}px, written in {write_s:.1f}s"
        )
        measured = ImportSpeed(synthetic.sessions, synthetic.turns, size, write_s)
        with ExitStack() as scratch_databases:
            targets = [("sqlite", f"sqlite:///{root / 'bench.db'}")]
            if postgres_admin_url:
                url = scratch_databases.enter_context(throwaway_postgres(postgres_admin_url))
                targets.append(("postgresql", url))
            for backend, url in targets:
                upgrade(url)
                engine = make_engine(url)
                started = time.perf_counter()
                summary = import_dataset_path(engine=engine, path=root / "synthetic", name="bench")
                seconds = time.perf_counter() - started
                engine.dispose()
                if summary.imported != synthetic.turns:
                    raise BenchRefused(
                        f"{backend}: imported {summary.imported} of {synthetic.turns} turns"
                    )
                backend_import = BackendImport(backend, summary.imported, seconds)
                measured.backends.append(backend_import)
                say(
                    f"{backend:>10}: {summary.imported} turns in {seconds:.1f}s = "
                    f"{backend_import.turns_per_second:.1f} turns/s"
                )
        return measured
