"""`handsoff runs`: the evaluation runs, newest first, with status and counts, and for runs
submitted to Prefect their flow run's state (scheduled, pending, running, cancelled ...)
when a Prefect server is configured."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, get_settings, literal

if TYPE_CHECKING:
    from db.queries.runs import RunSummary
    from flows.cli.app import CommandGroups
    from flows.orchestration.flow_run_states import FlowRunState


def _prefect_states(runs: list[RunSummary]) -> dict[str, FlowRunState] | None:
    """The flow-run states of the runs' Prefect flow runs; None when no server is configured
    or it cannot be reached (the runs are listed all the same)."""
    import httpx

    from flows.orchestration.flow_run_states import flow_run_states
    from flows.orchestration.server import configured_api_url

    flow_run_ids = [run.flow_run_id for run in runs if run.flow_run_id]
    if configured_api_url() is None or not flow_run_ids:
        return None
    try:
        return flow_run_states(flow_run_ids)
    except (httpx.HTTPError, OSError) as error:
        console.print(f"[yellow]Prefect states not shown:[/] {literal(error)}")
        return None


def _prefect_cell(state: FlowRunState | None) -> str:
    if state is None:
        return "-"
    if state.state_type == "SCHEDULED" and state.scheduled_time is not None:
        return f"{state.state} {state.scheduled_time.astimezone():%m-%d %H:%M:%S}"
    return state.state


def register(groups: CommandGroups) -> None:
    @groups.root.command("runs")
    def runs_command(
        limit: Annotated[int, typer.Option("--limit", min=1, help="How many runs.")] = 50,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List evaluation runs with their status, done/failed/skipped counts and Prefect state."""
        from rich.table import Table

        from db.engine import session_scope
        from db.queries.runs import list_runs
        from flows.cli.database import open_database

        engine = open_database(get_settings())
        with session_scope(engine) as session:
            runs = list_runs(session=session, limit=limit)
        states = _prefect_states(runs)
        if as_json:
            listed: list[dict[str, Any]] = []
            for run in runs:
                state = (states or {}).get(run.flow_run_id or "")
                listed.append(
                    {**dataclasses.asdict(run), "prefect": state.as_dict() if state else None}
                )
            emit_json(listed)
            return
        if not runs:
            console.print("no runs yet: `handsoff run --dataset NAME --methods handsoff`")
            return
        columns = ["id", "dataset", "status", "profile", "setting", "methods"]
        columns += ["done", "failed", "skipped", "created"]
        if states is not None:
            columns += ["prefect", "pool"]
        table = Table(*columns)
        for run in runs:
            counts = run.counts
            row = [
                str(run.id),
                literal(run.dataset),
                literal(run.status),
                literal(run.profile),
                literal(run.setting),
                literal(", ".join(dict.fromkeys(run.methods))),
                str(counts.get("done", "-")),
                str(counts.get("failed", "-")),
                str(counts.get("skipped", "-")),
                run.created_at.strftime("%Y-%m-%d %H:%M"),
            ]
            if states is not None:
                state = states.get(run.flow_run_id or "")
                pool = state.work_pool if state is not None else None
                row += [literal(_prefect_cell(state)), literal(pool or "-")]
            table.add_row(*row)
        console.print(table)
