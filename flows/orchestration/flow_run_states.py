"""What the Prefect server says of the flow runs that runs were submitted as: state, when
a scheduled one starts, pool and queue. `handsoff runs` shows it; submitting and cancelling
decide by it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import FlowRun

# Prefect state types of a flow run that is waiting for a worker or being worked on:
# an identical request submitted now would only queue a second copy of it.
QUEUED_OR_RUNNING = ("SCHEDULED", "PENDING", "RUNNING", "PAUSED")


@dataclass(frozen=True)
class FlowRunState:
    flow_run_id: str
    name: str  # the flow run's name, e.g. run-12
    state: str  # Prefect's state name: Scheduled, Late, Pending, Running, Cancelled ...
    state_type: str  # SCHEDULED, PENDING, RUNNING, COMPLETED, CANCELLING, CANCELLED ...
    scheduled_time: datetime | None  # when a scheduled run is to start
    work_pool: str | None
    work_queue: str | None
    deployment_id: str | None  # None: a flow run started in a terminal, not by a worker

    @property
    def final(self) -> bool:
        return self.state_type in ("COMPLETED", "FAILED", "CANCELLED", "CRASHED")

    @property
    def queued_or_running(self) -> bool:
        return self.state_type in QUEUED_OR_RUNNING

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_of(flow_run: FlowRun) -> FlowRunState:
    state = flow_run.state
    scheduled = None
    if state is not None and state.state_details.scheduled_time is not None:
        scheduled = state.state_details.scheduled_time
    return FlowRunState(
        flow_run_id=str(flow_run.id),
        name=flow_run.name,
        state=(state.name or state.type.value.title()) if state is not None else "Unknown",
        state_type=state.type.value if state is not None else "UNKNOWN",
        scheduled_time=scheduled or flow_run.next_scheduled_start_time,
        work_pool=flow_run.work_pool_name,
        work_queue=flow_run.work_queue_name,
        deployment_id=str(flow_run.deployment_id) if flow_run.deployment_id else None,
    )


def _uuids(flow_run_ids: Iterable[str]) -> list[uuid.UUID]:
    parsed = []
    for value in flow_run_ids:
        try:
            parsed.append(uuid.UUID(str(value)))
        except ValueError:
            continue  # not a flow run id this server could know
    return parsed


def read_flow_run_states(
    client: SyncPrefectClient, flow_run_ids: Iterable[str]
) -> dict[str, FlowRunState]:
    """The states of those of `flow_run_ids` the server knows (one request)."""
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ids = _uuids(flow_run_ids)
    if not ids:
        return {}
    flow_runs = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=ids)), limit=len(ids)
    )
    return {str(flow_run.id): state_of(flow_run) for flow_run in flow_runs}


def flow_run_states(flow_run_ids: Iterable[str]) -> dict[str, FlowRunState]:
    """As `read_flow_run_states`, on the configured server (PREFECT_API_URL)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return read_flow_run_states(client, flow_run_ids)
