"""`handsoff report`: the paper-style tables of a run and its human studies."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, fail, get_settings, literal, row_id

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

FORMATS = ("text", "markdown", "csv", "html")


def register(groups: CommandGroups) -> None:
    @groups.root.command("report")
    def report_command(
        run: Annotated[
            int | None,
            typer.Option("--run", parser=row_id, help="Run id (default: the study's run)."),
        ] = None,
        study: Annotated[
            list[int] | None,
            typer.Option(
                "--study",
                parser=row_id,
                help="Study id; repeat for several (default: all of the run).",
            ),
        ] = None,
        format: Annotated[
            str, typer.Option("--format", help="What to print: text, markdown, csv or html.")
        ] = "text",
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Write txt/md/html, PNG figures, CSV tables and rows here (and print "
                "their paths instead of the report).",
            ),
        ] = None,
        baseline: Annotated[
            str | None,
            typer.Option(
                "--baseline",
                help="Config id or method for paired differences (default: instruct-pix2pix).",
            ),
        ] = None,
        resamples: Annotated[
            int, typer.Option("--resamples", min=100, help="Bootstrap resamples per interval.")
        ] = 2000,
        confidence: Annotated[
            float, typer.Option("--confidence", min=0.5, max=0.999, help="Interval level.")
        ] = 0.95,
        seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    ) -> None:
        """Metrics with bootstrap intervals, paired differences, the sweep, and the study:
        acceptability (Wilson), McNemar, preferences, agreement, annotator quality."""
        from db.queries.runs import RunNotFound
        from db.queries.study import StudyNotFound
        from flows.cli.database import open_database
        from flows.report import ReportInputError, ReportOptions, build_report

        if format not in FORMATS:
            fail(f"unknown format {format!r}: use {', '.join(FORMATS)}")
        if run is None and not study:
            fail("name a run (--run ID) or a study (--study ID)")
        engine = open_database(get_settings())
        options = ReportOptions(
            baseline=baseline,
            confidence=confidence,
            resamples=resamples,
            seed=seed,
            include_rows=out is not None,
        )
        try:
            report = build_report(engine=engine, run_id=run, study_ids=study, options=options)
        except (RunNotFound, StudyNotFound, ReportInputError) as error:
            fail(str(error).strip("'\""))
        sys.stdout.write(render(report, format, out))
        if report.missing:
            console.print(
                f"[yellow]partial report:[/] {len(report.missing)} item(s) missing, "
                "listed at the top of the report"
            )


def render(report: object, format: str, out: Path | None) -> str:
    """With --out: write the files and return their paths; else the report in `format`."""
    from flows.report.export import draw_figures, write_report_files
    from flows.report.html import render_html
    from flows.report.model import Report
    from flows.report.render import render_csv, render_markdown, render_text

    assert isinstance(report, Report)
    if out is not None:
        # The files are the output: print where they are, not a page of HTML or text.
        written = write_report_files(report, out)
        main = [p for p in written if p.parent == out]
        folders = sorted({p.parent for p in written if p.parent != out})
        console.print(f"wrote {len(written)} files to {literal(out)}")
        return "".join(f"{path}\n" for path in [*main, *folders])
    figures = draw_figures(report) if format == "html" else {}
    figure_files: dict[str, str] = {}
    if format == "markdown":
        return render_markdown(report, figure_files=figure_files)
    if format == "csv":
        return render_csv(report)
    if format == "html":
        return render_html(report, figure_png=figures)
    return render_text(report, figure_files=figure_files)
