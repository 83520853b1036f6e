"""Cancel a run: the run is marked `cancelled` and its pipeline's flow run is cancelled
through Prefect. Every edit it stored is kept; `handsoff run --resume ID` completes it.

1. refuse a finished run, and a flow run out of reach (another server, or one running in
   the terminal that started it, which no worker can stop);
2. mark the run cancelled first: a cancelled run keeps that status until it is resumed,
   so the final status its flow run may write while being stopped does not replace it;
3. a scheduled flow run has no process yet and is set Cancelled at once; a pending or
   running one is set Cancelling, and the worker that runs it ends its process;
4. wait (up to `wait_s`) for Prefect to report the end, then store the run's counts.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import RunStatus
from db.queries.runs import (
    UNFINISHED,
    cancel_unfinished_run,
    flow_run_id_of,
    get_run,
    set_run_status,
)
from flows.orchestration.flow_run_states import FlowRunState, state_of
from flows.orchestration.server import configured_api_url
from flows.runs.lifecycle import summarize
from flows.runs.plan import load_plan
from handsoff_core.errors import HandsoffError

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient


class CancelError(HandsoffError):
    """A run that cannot be cancelled: finished, or its flow run out of reach."""


@dataclass(frozen=True)
class Cancellation:
    run_id: int
    status: str  # the run's status now: cancelled
    flow_run_id: str | None
    prefect_state: str | None  # the flow run's state when waiting ended
    waited_s: float
    counts: dict[str, Any]  # done/failed/skipped of the planned edits when it stopped

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _reachable_flow_run(
    client: SyncPrefectClient, flow_run_id: str, *, run_id: int
) -> FlowRunState:
    """The flow run's state, if this server has it and a worker runs it."""
    from prefect.exceptions import ObjectNotFound

    try:
        current = state_of(client.read_flow_run(uuid.UUID(flow_run_id)))
    except (ObjectNotFound, ValueError):
        raise CancelError(
            f"run {run_id}'s flow run {flow_run_id} is not on the Prefect server at "
            f"{configured_api_url()}: a run started in a terminal (`handsoff run`) stops with "
            "Ctrl-C there"
        ) from None
    if not current.final and current.deployment_id is None:
        raise CancelError(
            f"run {run_id} runs in the terminal that started it (`handsoff run`), not on a "
            "worker: stop it there with Ctrl-C"
        )
    return current


def _stop_flow_run(
    client: SyncPrefectClient, current: FlowRunState, *, message: str, wait_s: float, poll_s: float
) -> str:
    """Cancel the flow run and wait (up to `wait_s`) for it to end; its last state's name."""
    from prefect.states import Cancelled, Cancelling

    flow_run_id = uuid.UUID(current.flow_run_id)
    if not current.final:
        # A scheduled run has no process to end; anything later may have one.
        proposed = Cancelled if current.state_type == "SCHEDULED" else Cancelling
        client.set_flow_run_state(flow_run_id, proposed(message=message), force=True)
    deadline = time.monotonic() + wait_s
    while True:
        current = state_of(client.read_flow_run(flow_run_id))
        if current.final or time.monotonic() >= deadline:
            return current.state
        time.sleep(poll_s)


def cancel_run(
    *, engine: Engine, run_id: int, wait_s: float = 120.0, poll_s: float = 0.5
) -> Cancellation:
    """Cancel run `run_id` (and its pipeline's flow run, if it has one)."""
    from prefect.client.orchestration import get_client

    started = time.monotonic()
    # 1. what can be cancelled
    with session_scope(engine) as session:
        run = get_run(session=session, run_id=run_id)
        status, flow_run_id = run.status, flow_run_id_of(run)
    if status not in UNFINISHED:
        hint = (
            ""
            if status == RunStatus.COMPLETED
            else f"; `handsoff run --resume {run_id}` completes it"
        )
        raise CancelError(f"run {run_id} is already {status}: there is nothing to cancel{hint}")
    if flow_run_id is not None and configured_api_url() is None:
        raise CancelError(
            f"run {run_id} was submitted to Prefect (flow run {flow_run_id}): set "
            "PREFECT_API_URL to that server to cancel it"
        )
    message = f"cancelled by `handsoff cancel {run_id}`"
    with get_client(sync_client=True) as client:
        current = _reachable_flow_run(client, flow_run_id, run_id=run_id) if flow_run_id else None
        # 2. the run, then 3.-4. its flow run
        with session_scope(engine) as session:
            if not cancel_unfinished_run(session=session, run_id=run_id, reason=message):
                now = get_run(session=session, run_id=run_id).status
                raise CancelError(
                    f"run {run_id} became {now} meanwhile: there is nothing to cancel"
                )
        prefect_state = (
            _stop_flow_run(client, current, message=message, wait_s=wait_s, poll_s=poll_s)
            if current is not None
            else None
        )
    counts = summarize(engine, load_plan(engine, run_id)).counts()
    with session_scope(engine) as session:
        set_run_status(
            session=session, run_id=run_id, status=RunStatus.CANCELLED, counts=counts, error=message
        )
    return Cancellation(
        run_id=run_id,
        status=RunStatus.CANCELLED.value,
        flow_run_id=flow_run_id,
        prefect_state=prefect_state,
        waited_s=round(time.monotonic() - started, 2),
        counts=counts,
    )
