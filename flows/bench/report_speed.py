"""Seconds to build the full report over a synthetic database (goal: under 2 s on
PostgreSQL for 10,000 edits and 100,000 judgments), on SQLite and PostgreSQL.

The database is written as rows (flows.bench.synthetic_run): five method configs (Hands-off
at two edit weights, InstructPix2Pix, the two oracles) on edits/5 samples with eleven
metric values each, and one study whose items x overlap x 2 options give the judgments.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.bench.errors import BenchRefused
from flows.bench.throwaway_postgres import throwaway_postgres

if TYPE_CHECKING:
    from sqlalchemy import Engine

CONFIGS = 5  # handsoff w=0.75 and w=1.0, instruct-pix2pix, identity, ground-truth
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class ReportSpeed:
    backend: str
    edits: int  # rows, counted after the build
    judgments: int
    metric_values: int
    build_s: float
    report_s: list[float]  # build_report + text rendering, per repeat
    export_s: float  # the same plus figures, HTML, CSV and Parquet of every row set

    def as_dict(self) -> dict[str, Any]:
        """The figures as `handsoff bench report --json` prints them (rounded)."""
        return {
            "backend": self.backend,
            "edits": self.edits,
            "judgments": self.judgments,
            "metric_values": self.metric_values,
            "build_s": round(self.build_s, 2),
            "report_median_s": round(statistics.median(self.report_s), 3),
            "report_min_s": round(min(self.report_s), 3),
            "report_s": [round(s, 3) for s in self.report_s],
            "full_export_s": round(self.export_s, 3),
        }


def measure_report_speed(
    *,
    backends: list[str],
    edits: int,
    judgments: int,
    overlap: int,
    repeat: int,
    postgres_admin_url: str | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> list[ReportSpeed]:
    """One ReportSpeed per backend, each on a fresh database: a temporary SQLite file, or a
    throwaway database on the server of `postgres_admin_url`."""
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise BenchRefused(
            f"unknown backend(s) {', '.join(sorted(unknown))}: use {', '.join(BACKENDS)}"
        )
    if edits < CONFIGS:
        raise BenchRefused(f"edits must be at least {CONFIGS} (one per method config)")
    items = judgments // (2 * overlap)
    if items * 2 * overlap != judgments:
        raise BenchRefused(f"--judgments must be a multiple of 2 x overlap = {2 * overlap}")
    results = []
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite:///{Path(folder) / 'bench.db'}"
                results.append(_on_database(backend, url, edits, items, overlap, repeat, say))
        else:
            if not postgres_admin_url:
                raise BenchRefused("postgresql needs a server URL to create a database on")
            with throwaway_postgres(postgres_admin_url) as url:
                results.append(_on_database(backend, url, edits, items, overlap, repeat, say))
    return results


def _on_database(
    backend: str,
    url: str,
    edits: int,
    items: int,
    overlap: int,
    repeat: int,
    say: Callable[[str], None],
) -> ReportSpeed:
    from sqlalchemy import text

    from db.engine import make_engine
    from db.migrate import upgrade
    from flows.report import ReportOptions, build_report
    from flows.report.export import write_report_files
    from flows.report.render import render_text

    upgrade(url)
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        run_id = _populate(engine, samples=edits // CONFIGS, items=items, overlap=overlap)
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
        build_s = time.perf_counter() - started
        with engine.connect() as connection:
            counts = [
                int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
                for table in ("edit", "judgment", "metric_value")
            ]
        say(f"{backend}: database built in {build_s:.1f} s")
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            render_text(build_report(engine=engine, run_id=run_id))
            timings.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            report = build_report(
                engine=engine, run_id=run_id, options=ReportOptions(include_rows=True)
            )
            write_report_files(report, Path(out))
            render_text(report)
            export_s = time.perf_counter() - started
        return ReportSpeed(backend, counts[0], counts[1], counts[2], build_s, timings, export_s)
    finally:
        engine.dispose()


def _populate(engine: Engine, *, samples: int, items: int, overlap: int) -> int:
    """The synthetic run and its study; the run's id."""
    from flows.bench.synthetic_run import SyntheticSpec, populate_synthetic_evaluation
    from flows.bench.synthetic_study import SyntheticStudySpec, populate_synthetic_study

    evaluation = populate_synthetic_evaluation(
        engine, SyntheticSpec(samples=samples, weights=(0.75, 1.0), failure_rate=0.02)
    )
    gold = items // 10
    both = sum(
        1
        for s in evaluation.sample_ids
        if ("handsoff w=1", s) in evaluation.done_edits
        and ("instruct-pix2pix", s) in evaluation.done_edits
    )
    if items - gold > both:
        raise BenchRefused(
            f"{items - gold} study items asked, but only {both} samples have both edits"
        )
    populate_synthetic_study(
        engine,
        evaluation,
        SyntheticStudySpec(
            items=items - gold,
            gold_items=gold,
            overlap=overlap,
            annotators=max(2 * overlap, overlap + 1),
            unfinished_annotators=0,
        ),
    )
    return evaluation.run_id
