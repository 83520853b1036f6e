"""Helpers of the submit tests: the CLI in this process, counts read from the database and
from the Prefect server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from db.engine import session_scope
from db.models import Edit, Run
from db.queries.edits import duplicate_edit_keys
from db.queries.runs import get_run
from flows.cli.app import build_app


@dataclass(frozen=True)
class ControlPool:
    """A Prefect server with the control deployments, one worker on its pool, and the
    database that worker (and the CLI of the tests) uses."""

    api_url: str
    home: Path
    database_url: str
    engine: Engine
    env: dict[str, str]  # the worker's HANDSOFF_* settings, also the CLI's


def invoke(*args: str) -> tuple[int, str]:
    """`handsoff ARGS` in this process: exit code and output (stdout and stderr)."""
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output


def invoke_json(*args: str) -> Any:
    """`handsoff ARGS --json`, which must succeed: its JSON (stdout only)."""
    result = CliRunner().invoke(build_app(), [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def run_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Run)) or 0)


def run_edit_count(engine: Engine, run_id: int) -> int:
    with session_scope(engine) as session:
        return int(
            session.scalar(select(func.count()).select_from(Edit).where(Edit.run_id == run_id)) or 0
        )


def run_status(engine: Engine, run_id: int) -> str:
    with session_scope(engine) as session:
        return get_run(session=session, run_id=run_id).status


def run_provenance(engine: Engine, run_id: int) -> dict[str, Any]:
    with session_scope(engine) as session:
        return dict(get_run(session=session, run_id=run_id).provenance)


def no_duplicate_keys(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return duplicate_edit_keys(session=session) == 0


def flow_run_count() -> int:
    """Flow runs of deployments on the server (submissions; subflows are not counted)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId

    submitted = FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(is_null_=False))
    with get_client(sync_client=True) as client:
        return int(client.count_flow_runs(flow_run_filter=submitted))


def flow_run(flow_run_id: str) -> Any:
    import uuid

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(uuid.UUID(flow_run_id))
