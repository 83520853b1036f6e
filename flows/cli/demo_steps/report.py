"""Demo step: end `handsoff demo` by printing the report of the demo's run (and of the study
an earlier step created), and write its files (HTML, figures, CSV/Parquet) next to the demo.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.cli.commands.demo import DemoContext

ORDER = 900  # last: after the study step, so the report includes its study


def run(context: DemoContext) -> None:
    from flows.report import ReportOptions, build_report
    from flows.report.export import write_report_files
    from flows.report.render import render_text

    report = build_report(
        engine=context.engine, run_id=context.run_id, options=ReportOptions(include_rows=True)
    )
    out = context.workdir / f"report-run{context.run_id}"
    write_report_files(report, out)
    context.results["report"] = {"folder": str(out), "missing": report.missing}
    context.next_commands.append(
        f"handsoff report --run {context.run_id} --format html --out {out}"
    )
    if context.as_json:
        return
    # The report is the demo's result: stdout, so it can be piped or saved.
    sys.stdout.write("\n" + render_text(report) + "\n")
    context.console.print(f"report files (HTML, figures, CSV, Parquet) in {out}")
