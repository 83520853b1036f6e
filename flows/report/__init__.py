"""`handsoff report`: the paper-style tables of a run and its human studies.

`build_report` reads one consistent snapshot through the report views and computes the
statistics (handsoff_core.statistics); `render_text` / `render_markdown` / `render_csv`,
`render_html` and `write_report_files` print or export it; `publish_artifact` adds it to
the current Prefect flow run as a markdown artifact.
"""

from flows.report.assemble import build_report
from flows.report.model import Report
from flows.report.options import ReportInputError, ReportOptions
from flows.report.render import render_csv, render_markdown, render_text

# Heavier entry points (matplotlib, pyarrow, prefect) are imported from their modules:
# flows.report.export.write_report_files, flows.report.html.render_html,
# flows.orchestration.report_artifact.publish_artifact, flows.orchestration.report.report_flow.
__all__ = [
    "Report",
    "ReportInputError",
    "ReportOptions",
    "build_report",
    "render_csv",
    "render_markdown",
    "render_text",
]
