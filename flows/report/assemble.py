"""`build_report`: one run (and its studies) -> a `Report`, read in one consistent snapshot.

Steps: 1. open a read-only snapshot; 2. the run's metrics (overview, edits, means with
intervals, paired differences, sweep); 3. each study of the run; 4. what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from db.engine import read_snapshot
from db.queries.reports import run_study_ids
from db.queries.reports_study import get_study_header
from flows.report.metrics_section import add_metric_sections
from flows.report.model import Report
from flows.report.options import ReportInputError, ReportOptions
from flows.report.study_section import add_study_section


def build_report(
    *,
    engine: Engine,
    run_id: int | None = None,
    study_ids: Sequence[int] | None = None,
    options: ReportOptions = ReportOptions(),
) -> Report:
    """The report of `run_id` and of `study_ids` (default: every study of the run).

    Either may be omitted: a study alone reports on its own run. Raises `RunNotFound`,
    `StudyNotFound` or `ReportInputError` for requests that cannot be served; data that is
    merely incomplete gives a partial report whose `missing` list says what is absent.
    """
    # 1. snapshot
    with read_snapshot(engine) as session:
        if run_id is None:
            if not study_ids:
                raise ReportInputError("name a run (--run ID) or a study (--study ID)")
            run_id = get_study_header(session=session, study_id=study_ids[0]).run_id
        report = Report(title=f"Hands-off evaluation report: run {run_id}")
        # 2. metrics
        metrics = add_metric_sections(
            session=session, run_id=run_id, options=options, report=report
        )
        # 3. studies
        chosen = list(study_ids) if study_ids else run_study_ids(session=session, run_id=run_id)
        for study_id in chosen:
            header = get_study_header(session=session, study_id=study_id)
            if header.run_id != run_id:
                raise ReportInputError(
                    f"study {study_id} belongs to run {header.run_id}, not to run {run_id}"
                )
        for study_id in chosen:
            add_study_section(
                session=session,
                study_id=study_id,
                labels=metrics.labels,
                options=options,
                report=report,
            )
        # 4. missing
        if not chosen:
            report.missing.append(
                f"run {run_id} has no human study (create one with `handsoff study create "
                f"--run {run_id}`)"
            )
    return report
