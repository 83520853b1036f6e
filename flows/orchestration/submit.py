"""Submit and walk away: a run handed to the `control` pool as a flow run of the pipeline
deployment, now or at a set time, instead of running in the terminal that typed it.

    submit_run(engine=..., request=RunRequest(...))          queued for the next free worker
    submit_run(engine=..., request=..., start_at=tomorrow)   Scheduled until then
    submit_run(engine=..., run_id=12)                        resume run 12 on a worker

1. the Prefect server must be a configured one (an ephemeral server ends with the command,
   and its queue with it), and the deployment must exist there;
2. a request identical to a run already scheduled, queued or running returns that run
   (unless `force`): submitting twice by mistake queues nothing twice;
3. the run record is created and checked exactly as `handsoff run` does (nothing is
   written on bad input);
4. the flow run is created with the run id as its parameter, so the pipeline evaluates
   the existing run, and its id is recorded in the run's provenance under "prefect"
   (`pipeline_flow_run_id`: the flow run `handsoff cancel` cancels).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import RunStatus
from db.queries.runs import (
    delete_unstarted_run,
    flow_run_id_of,
    get_run,
    merge_run_provenance,
    runs_like,
)
from flows.orchestration.flow_run_states import FlowRunState, read_flow_run_states, state_of
from flows.orchestration.server import configured_api_url
from flows.runs.request import RunRequest, create_run, resolve_configs
from handsoff_core.errors import HandsoffError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.responses import DeploymentResponse

PIPELINE_DEPLOYMENT = "evaluation-pipeline/control"


class SubmitError(HandsoffError):
    """A run that cannot be submitted: no server, no deployment, or a finished run."""


@dataclass(frozen=True)
class Submission:
    run_id: int
    deployment: str
    flow_run: FlowRunState
    url: str | None  # the flow run's page in the Prefect UI
    reused: bool  # an identical run was already queued: it is returned, nothing is new

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "deployment": self.deployment,
            "reused": self.reused,
            "url": self.url,
            **self.flow_run.as_dict(),
        }


def flow_run_url(flow_run_id: str) -> str | None:
    """The flow run's page in the UI (PREFECT_UI_URL, else derived from the API URL)."""
    from prefect.utilities.urls import url_for

    return url_for("flow-run", obj_id=flow_run_id)


def read_deployment(client: SyncPrefectClient, name: str, api_url: str) -> DeploymentResponse:
    from prefect.exceptions import ObjectNotFound

    if name.count("/") != 1:
        raise SubmitError(f"deployment {name!r}: expected FLOW/NAME, e.g. {PIPELINE_DEPLOYMENT}")
    try:
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        raise SubmitError(
            f"no deployment {name!r} on the Prefect server at {api_url}: "
            "run `handsoff deploy` (once per server) and submit again"
        ) from None


def queued_twin(
    client: SyncPrefectClient, engine: Engine, request: RunRequest
) -> tuple[int, FlowRunState] | None:
    """The newest unfinished run asking exactly what `request` asks whose flow run is
    still scheduled, queued or running, with that flow run's state."""
    hashes = [config.config_hash() for config in resolve_configs(request)]
    with session_scope(engine) as session:
        candidates = [
            (run.id, flow_run_id_of(run))
            for run in runs_like(
                session=session,
                dataset=request.dataset,
                config_hashes=hashes,
                profile=request.profile,
                seed=request.seed,
                setting=request.setting,
                selection=request.selection(),
            )
        ]
    states = read_flow_run_states(client, [flow_id for _, flow_id in candidates if flow_id])
    for run_id, flow_run_id in candidates:
        state = states.get(flow_run_id or "")
        if state is not None and state.queued_or_running:
            return run_id, state
    return None


def _resumable(client: SyncPrefectClient, engine: Engine, run_id: int) -> FlowRunState | None:
    """Refuse a completed run; the state of its flow run if it is still queued or running."""
    with session_scope(engine) as session:
        run = get_run(session=session, run_id=run_id)
        status, flow_run_id = run.status, flow_run_id_of(run)
    if status == RunStatus.COMPLETED:
        raise SubmitError(f"run {run_id} is completed: there is nothing left to run")
    state = read_flow_run_states(client, [flow_run_id] if flow_run_id else []).get(
        flow_run_id or ""
    )
    return state if state is not None and state.queued_or_running else None


def submit_run(
    *,
    engine: Engine,
    request: RunRequest | None = None,
    run_id: int | None = None,
    start_at: datetime | None = None,
    force: bool = False,
    deployment: str = PIPELINE_DEPLOYMENT,
    parameters: dict[str, Any] | None = None,
    profiles_file: Path | None = None,
) -> Submission:
    """Create (or reuse) the run and its flow run of `deployment`; return without waiting.

    `parameters`: further pipeline parameters (shards, dispatch, batch_size ...). The
    database URL is never among them: each worker uses its own HANDSOFF_DATABASE_URL,
    which must name the database this run is created in.
    """
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    if (request is None) == (run_id is None):
        raise ValueError("give a request or a run_id")
    if start_at is not None and start_at <= datetime.now(UTC):
        raise SubmitError(f"start time {start_at.isoformat()} is in the past")
    # 1. a server that outlives this command, and the deployment on it
    api_url = configured_api_url()
    if api_url is None:
        raise SubmitError(
            "--submit needs a Prefect server that outlives this command: set PREFECT_API_URL "
            "(`prefect server start`, see docs/flows.md)"
        )
    with get_client(sync_client=True) as client:
        target = read_deployment(client, deployment, api_url)
        # 2. the run already queued, if one asks the same (a resumed run: itself)
        twin: tuple[int, FlowRunState] | None = None
        if request is not None and not force:
            twin = queued_twin(client, engine, request)
        elif run_id is not None:
            live = _resumable(client, engine, run_id)
            twin = (run_id, live) if live is not None and not force else None
        if twin is not None:
            twin_id, twin_state = twin
            url = flow_run_url(twin_state.flow_run_id)
            return Submission(twin_id, deployment, twin_state, url, reused=True)
        # 3. the run record, checked as `handsoff run` checks it
        created = request is not None
        if request is not None:
            run_id = create_run(engine=engine, request=request, profiles_file=profiles_file)
        assert run_id is not None
        # 4. the flow run, recorded in the run's provenance
        try:
            flow_run = client.create_flow_run_from_deployment(
                target.id,
                parameters={**(parameters or {}), "run_id": run_id},
                state=Scheduled(scheduled_time=start_at) if start_at is not None else None,
                name=f"run-{run_id}-{uuid.uuid4().hex[:6]}",
            )
        except BaseException:
            if created:  # nothing may stay behind of a submission that did not happen
                with session_scope(engine) as session:
                    delete_unstarted_run(session=session, run_id=run_id)
            raise
    submitted = {
        "pipeline_flow_run_id": str(flow_run.id),
        "pipeline_flow_run_name": flow_run.name,
        "pipeline_deployment": deployment,
        "submitted_at": datetime.now(UTC).isoformat(),
        "start_at": start_at.isoformat() if start_at is not None else None,
    }
    with session_scope(engine) as session:
        merge_run_provenance(session=session, run_id=run_id, patch={"prefect": submitted})
    state = state_of(flow_run)
    return Submission(run_id, deployment, state, flow_run_url(state.flow_run_id), reused=False)
