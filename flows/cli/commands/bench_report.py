"""`handsoff bench report`: time the full report over a synthetic database of 10,000 edits
and 100,000 judgments on SQLite and PostgreSQL (goal: under 2 s on PostgreSQL).
flows/bench/report_speed.py builds the databases and measures; this command prints.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from flows.bench.report_speed import BACKENDS, CONFIGS
from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


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
        from flows.bench.errors import BenchRefused
        from flows.bench.report_speed import measure_report_speed

        chosen = [b.strip() for b in backends.split(",") if b.strip()]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            fail(f"unknown backend(s) {', '.join(sorted(unknown))}: use sqlite, postgresql")
        if judgments % (2 * overlap):
            fail(f"--judgments must be a multiple of 2 x overlap = {2 * overlap}")
        admin = postgres_url or os.environ.get("HANDSOFF_TEST_POSTGRES_URL")
        if "postgresql" in chosen and not admin:
            console.print(
                "[yellow]postgresql skipped:[/] pass --postgres-url or set "
                "HANDSOFF_TEST_POSTGRES_URL (scripts/postgres.sh start prints one)"
            )
            chosen.remove("postgresql")
        try:
            results = measure_report_speed(
                backends=chosen,
                edits=edits,
                judgments=judgments,
                overlap=overlap,
                repeat=repeat,
                postgres_admin_url=admin,
                say=(lambda _text: None)
                if as_json
                else (lambda text: console.print(f"[dim]{text}[/]")),
            )
        except BenchRefused as error:
            fail(str(error))
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
