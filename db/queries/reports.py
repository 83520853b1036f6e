"""Report queries over runs and their metrics, read through the report views (db/views.py).

Keyword-only functions; the caller owns the session. Row sets that the report analyses in
bulk (edit-level metric values) come back as pandas DataFrames, everything else as small
frozen dataclasses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from db import views
from db.models import Dataset, Edit, MethodConfig, Run, Study
from db.queries.runs import get_run


@dataclass(frozen=True)
class RunHeader:
    id: int
    dataset: str
    status: str
    profile: str
    seed: int
    setting: str
    selection: dict[str, Any]
    samples: int  # samples the run covers (its selection applied)
    git_sha: str | None
    provenance: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class ConfigStatus:
    """One method config of a run and what became of its edits."""

    method_config_id: int
    method: str
    config_hash: str
    params: dict[str, Any]
    edits: int
    done: int
    failed: int


def fetch_frame(session: Session, statement: Select[Any], columns: list[str]) -> pd.DataFrame:
    """Run `statement` on the driver's own cursor and build a DataFrame from its plain
    tuples. For 10^5-row results this is several times faster than going through
    SQLAlchemy Row objects (which pandas probes one by one). The statement runs on the
    session's connection, so it sees the session's transaction (the report's snapshot).
    Values are the driver's own: fine for the ints, floats and strings reports read."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    parameters: Any = compiled.params
    if compiled.positional and compiled.positiontup is not None:
        parameters = tuple(compiled.params[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, parameters)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return pd.DataFrame({name: [] for name in columns})
    return pd.DataFrame.from_records(rows, columns=columns)


def _copy_frame(session: Session, statement: Select[Any], columns: list[str]) -> pd.DataFrame:
    """PostgreSQL only: stream the result as CSV (`COPY (query) TO STDOUT`) and parse it
    with pandas' C reader. For 10^5 metric rows this takes a fraction of the time of
    building Python tuples. Parameters are rendered as literals (ints here); numeric and
    text columns only (PostgreSQL writes booleans as t/f)."""
    connection = session.connection()
    query = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})
    raw = connection.connection.driver_connection
    assert raw is not None, "an open psycopg connection"
    buffer = io.BytesIO()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    if buffer.getbuffer().nbytes == 0:
        return pd.DataFrame({name: [] for name in columns})
    # keep_default_na=False + na_values=[""]: only PostgreSQL's unquoted empty field (NULL)
    # is missing; a text value "NA" stays text.
    return pd.read_csv(buffer, names=columns, header=None, keep_default_na=False, na_values=[""])


def get_run_header(*, session: Session, run_id: int) -> RunHeader:
    """The run's identity and scope; `RunNotFound` (db.queries.runs) when it does not exist."""
    run: Run = get_run(session=session, run_id=run_id)
    dataset = session.scalar(select(Dataset.name).where(Dataset.id == run.dataset_id))
    samples = session.scalar(
        select(func.count())
        .select_from(views.run_samples)
        .where(views.run_samples.c.run_id == run.id)
    )
    provenance = run.provenance or {}
    git = provenance.get("git")
    git_sha = provenance.get("git_sha") or (git.get("sha") if isinstance(git, dict) else None)
    return RunHeader(
        id=run.id,
        dataset=dataset or "?",
        status=run.status,
        profile=run.profile,
        seed=run.seed,
        setting=run.setting,
        selection=dict(run.selection or {}),
        samples=int(samples or 0),
        git_sha=git_sha if isinstance(git_sha, str) else None,
        provenance=dict(provenance),
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def config_statuses(*, session: Session, run_id: int) -> list[ConfigStatus]:
    """Every method config of the run (also those without edits), in config id order."""
    status = views.run_method_status
    rows = session.execute(
        select(
            status.c.method_config_id,
            status.c.method,
            status.c.config_hash,
            MethodConfig.params,
            status.c.n_edits,
            status.c.n_done,
            status.c.n_failed,
        )
        .join(MethodConfig, MethodConfig.id == status.c.method_config_id)
        .where(status.c.run_id == run_id)
        .order_by(status.c.method_config_id)
    ).all()
    return [
        ConfigStatus(
            method_config_id=int(row[0]),
            method=row[1],
            config_hash=row[2],
            params=dict(row[3] or {}),
            edits=int(row[4]),
            done=int(row[5]),
            failed=int(row[6]),
        )
        for row in rows
    ]


EDIT_METRIC_COLUMNS = [
    "edit_id",
    "sample_id",
    "method_config_id",
    "metric",
    "metric_version",
    "caption_kind",
    "value",
    "not_applicable",
]


def edit_metric_frame(*, session: Session, run_id: int) -> pd.DataFrame:
    """Every metric value of the run's edits, one row each (view `v_edit_metrics`)."""
    metrics = views.edit_metrics
    statement = select(*(metrics.c[name] for name in EDIT_METRIC_COLUMNS)).where(
        metrics.c.run_id == run_id
    )
    if session.get_bind().dialect.name == "postgresql":
        frame = _copy_frame(session, statement, EDIT_METRIC_COLUMNS)
    else:
        frame = fetch_frame(session, statement, EDIT_METRIC_COLUMNS)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    return frame


def done_edit_frame(*, session: Session, run_id: int) -> pd.DataFrame:
    """The run's done edits (edit id, sample, config): what metrics should exist for."""
    edits = views.run_edits
    statement = select(edits.c.edit_id, edits.c.sample_id, edits.c.method_config_id).where(
        edits.c.run_id == run_id, edits.c.edit_status == "done"
    )
    return fetch_frame(session, statement, ["edit_id", "sample_id", "method_config_id"])


def run_edit_frame(*, session: Session, run_id: int) -> pd.DataFrame:
    """Every edit of the run with its status, error and output image's sha256 (for export:
    the image is `handsoff export images`'s file of that hash)."""
    edits = views.run_edits
    columns = [*(c.name for c in edits.c), "image_sha256"]
    statement = (
        select(edits, Edit.output_image)
        .join(Edit, Edit.id == edits.c.edit_id)
        .where(edits.c.run_id == run_id)
    )
    return fetch_frame(session, statement, columns)


def run_study_ids(*, session: Session, run_id: int) -> list[int]:
    return list(session.scalars(select(Study.id).where(Study.run_id == run_id).order_by(Study.id)))
