"""`report` flow: build a run's report inside Prefect, publish it as a markdown artifact
and optionally write its files, so a deployment or the evaluation pipeline can end with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow

from flows.orchestration.context import flow_context
from flows.orchestration.report_artifact import publish_artifact
from flows.report.assemble import build_report
from flows.report.options import ReportOptions


@flow(name="report")
def report_flow(
    run_id: int,
    study_ids: list[int] | None = None,
    out_dir: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """The report of `run_id` (and its studies) as an artifact `report-run-<id>`."""
    report = build_report(
        engine=flow_context(database_url).engine,
        run_id=run_id,
        study_ids=study_ids,
        options=ReportOptions(include_rows=out_dir is not None),
    )
    artifact = publish_artifact(report, key=f"report-run-{run_id}")
    written: list[str] = []
    if out_dir is not None:
        from flows.report.export import write_report_files

        written = [str(p) for p in write_report_files(report, Path(out_dir))]
    return {"run_id": run_id, "artifact": artifact, "missing": report.missing, "files": written}
