"""`handsoff bench report`: time the full report over a synthetic database of 10,000 edits
and 100,000 judgments on SQLite and PostgreSQL (goal: under 2 s on PostgreSQL).

The database is written as rows (flows.bench.synthetic_run): five method configs (Hands-off
at two edit weights, InstructPix2Pix, the two oracles) on edits/5 samples with eleven
metric values each, and one study whose items x overlap x 2 options give the judgments.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.bench.throwaway_postgres import throwaway_postgres
from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from flows.cli.app import CommandGroups

CONFIGS = 5  # handsoff w=0.75 and w=1.0, instruct-pix2pix, identity, ground-truth


@dataclass
class BenchResult:
    backend: str
    edits: int
    judgments: int
    metric_values: int
    build_s: float
    report_s: list[float]  # build_report + text rendering, per repeat
    export_s: float  # the same plus figures, HTML, CSV and Parquet of every row set

    def as_dict(self) -> dict[str, Any]:
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


def register(groups: CommandGroups) -> None:
    @groups.bench.command("report")
    def bench_report_command(
        edits: Annotated[int, typer.Option("--edits", min=CONFIGS)] = 10_000,
        judgments: Annotated[int, typer.Option("--judgments", min=0)] = 100_000,
        overlap: Annotated[int, typer.Option("--overlap", min=1, help="Annotators per item.")] = 25,
        backends: Annotated[
            str, typer.Option("--backends", help="Comma-separated: sqlite, postgresql.")
        ] = "sqlite,postgresql",
        postgres_url: Annotated[
            str | None,
            typer.Option(
                "--postgres-url",
                help="Server to create a throwaway database on (default: "
                "HANDSOFF_TEST_POSTGRES_URL; `scripts/postgres.sh start` prints one).",
            ),
        ] = None,
        repeat: Annotated[int, typer.Option("--repeat", min=1)] = 3,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Time `handsoff report` over a synthetic database (rows, not model outputs)."""
        chosen = [b.strip() for b in backends.split(",") if b.strip()]
        unknown = set(chosen) - {"sqlite", "postgresql"}
        if unknown:
            fail(f"unknown backend(s) {', '.join(sorted(unknown))}: use sqlite, postgresql")
        items = judgments // (2 * overlap)
        if items * 2 * overlap != judgments:
            fail(f"--judgments must be a multiple of 2 x overlap = {2 * overlap}")
        results = []
        for backend in chosen:
            if backend == "sqlite":
                with tempfile.TemporaryDirectory() as folder:
                    url = f"sqlite:///{Path(folder) / 'bench.db'}"
                    results.append(_bench(backend, url, edits, items, overlap, repeat, as_json))
            else:
                admin = postgres_url or os.environ.get("HANDSOFF_TEST_POSTGRES_URL")
                if not admin:
                    console.print(
                        "[yellow]postgresql skipped:[/] pass --postgres-url or set "
                        "HANDSOFF_TEST_POSTGRES_URL (scripts/postgres.sh start prints one)"
                    )
                    continue
                with throwaway_postgres(admin) as url:
                    results.append(_bench(backend, url, edits, items, overlap, repeat, as_json))
        if as_json:
            emit_json([r.as_dict() for r in results])
            return
        for result in results:
            row = result.as_dict()
            console.print(
                f"{row['backend']}: {row['edits']} edits, {row['judgments']} judgments, "
                f"{row['metric_values']} metric values (built in {row['build_s']} s); "
                f"report {row['report_median_s']} s median of {repeat} "
                f"(min {row['report_min_s']} s); with figures, HTML and exports "
                f"{row['full_export_s']} s"
            )


def _bench(
    backend: str, url: str, edits: int, items: int, overlap: int, repeat: int, quiet: bool
) -> BenchResult:
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
        if not quiet:
            console.print(f"[dim]{backend}: database built in {build_s:.1f} s[/]")
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
        return BenchResult(backend, counts[0], counts[1], counts[2], build_s, timings, export_s)
    finally:
        engine.dispose()


def _populate(engine: Engine, *, samples: int, items: int, overlap: int) -> int:
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
        fail(f"{items - gold} study items asked, but only {both} samples have both edits")
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
