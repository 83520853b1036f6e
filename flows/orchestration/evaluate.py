"""The `evaluate` flow: a run's shards, locally or on a work pool, then its final status.

    evaluate(run_id)                        one shard, in this process
    evaluate(run_id, shards=4)              four shard tasks in this process's task runner
    evaluate(run_id, shards=8, dispatch="deployment")
                                            eight runs of the `evaluate-shard` deployment,
                                            picked up by `prefect worker start --pool gpu`
                                            on any number of machines

Each shard task re-reads the plan and does only what is missing, so retries (transient
database errors, with back-off) and reruns after a crash are safe. Caching lives in the
database (the stage cache and the edits themselves), not in Prefect's result store: a
Prefect-cached shard would skip work the database says is missing.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.evaluation.shard import evaluate_shard
from flows.orchestration.context import flow_context, prefect_ids, profile_methods
from flows.orchestration.gpu_slots import device_slot_name, model_slot
from flows.orchestration.retry_policy import database_retries
from flows.runs.lifecycle import finish_run, outcome_markdown, record_shard, start_run
from flows.runs.plan import load_plan
from flows.runs.provenance import collect_provenance

DISPATCH_MODES = ("local", "deployment")
DEFAULT_SHARD_DEPLOYMENT = "evaluate-shard/gpu"


@task(
    name="start-run",
    cache_policy=NO_CACHE,
    **database_retries(backoff_factor=10),
)
def start_run_task(run_id: int, *, device: str | None, database_url: str | None) -> int:
    context = flow_context(database_url)
    provenance = collect_provenance(
        device=device or context.settings.device, orchestrator=prefect_ids()
    )
    start_run(context.engine, run_id, provenance=provenance)
    return load_plan(context.engine, run_id).planned


@task(
    name="evaluate-shard",
    cache_policy=NO_CACHE,
    tags=["model-heavy"],
    **database_retries(backoff_factor=10),
)
def evaluate_shard_task(
    run_id: int,
    shard_index: int,
    shard_count: int,
    *,
    batch_size: int,
    use_sweeps: bool,
    device: str | None,
    database_url: str | None,
) -> dict[str, Any]:
    logger = get_run_logger()
    context = flow_context(database_url)
    plan = load_plan(context.engine, run_id)
    device = device or context.settings.device
    shard = f"{shard_index}/{shard_count}"
    logger.info(
        "run %d shard %s on %s (pid %d), device %s",
        run_id,
        shard,
        socket.gethostname(),
        os.getpid(),
        device,
    )
    methods = profile_methods(context, profile=plan.profile, device=device)
    progress = {"items": 0}

    def on_item(label: str) -> None:
        progress["items"] += 1
        if progress["items"] % 25 == 0:
            logger.info(
                "run %d shard %s: %d items stored (%s)", run_id, shard, progress["items"], label
            )

    with model_slot(device_slot_name(device)):
        report = evaluate_shard(
            engine=context.engine,
            run_id=run_id,
            methods=methods,
            shard_index=shard_index,
            shard_count=shard_count,
            batch_size=batch_size,
            use_sweeps=use_sweeps,
            on_item=on_item,
        )
    details = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "parent_pid": os.getppid(),
        "device": device,
        **prefect_ids(),
        "report": report.as_dict(),
    }
    record_shard(context.engine, run_id, shard=shard, details=details)
    logger.info(
        "run %d shard %s: %d done, %d failed, %d skipped, %d already done in %.1f s",
        run_id,
        shard,
        report.done,
        report.failed,
        report.skipped,
        report.already_done,
        report.seconds,
    )
    return report.as_dict()


@task(
    name="finish-run",
    cache_policy=NO_CACHE,
    **database_retries(backoff_factor=10),
)
def finish_run_task(run_id: int, *, error: str | None, database_url: str | None) -> dict[str, Any]:
    context = flow_context(database_url)
    outcome = finish_run(context.engine, run_id, error=error)
    create_markdown_artifact(
        key=f"run-{run_id}",
        markdown=outcome_markdown(outcome),
        description=f"Hands-off evaluation run {run_id}: {outcome.status}",
    )
    return outcome.as_dict()


def _dispatch_to_deployment(
    run_id: int,
    shards: int,
    *,
    deployment: str,
    parameters: dict[str, Any],
    poll_s: float,
) -> list[dict[str, Any]]:
    """Start one deployment run per shard and wait until every one has finished."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import FlowRun
    from prefect.deployments import run_deployment

    logger = get_run_logger()
    started = {}
    for index in range(shards):
        flow_run: FlowRun = run_deployment(  # type: ignore[assignment]  # sync context
            name=deployment,
            parameters={**parameters, "shard_index": index, "shard_count": shards},
            timeout=0,
            flow_run_name=f"run-{run_id}-shard-{index}-of-{shards}",
            as_subflow=True,
        )
        started[flow_run.id] = index
        logger.info("run %d shard %d/%d -> flow run %s", run_id, index, shards, flow_run.name)
    finished: list[dict[str, Any]] = []
    with get_client(sync_client=True) as client:
        while started:
            time.sleep(poll_s)
            for flow_run_id, index in list(started.items()):
                state = client.read_flow_run(flow_run_id).state
                if state is None or not state.is_final():
                    continue
                del started[flow_run_id]
                logger.info("run %d shard %d/%d: %s", run_id, index, shards, state.name)
                finished.append(
                    {"shard_index": index, "flow_run_id": str(flow_run_id), "state": state.name}
                )
    failed = [item for item in finished if item["state"] != "Completed"]
    if failed:
        names = ", ".join(f"shard {item['shard_index']} ({item['state']})" for item in failed)
        raise RuntimeError(f"run {run_id}: {names} did not complete; run it again to resume")
    return sorted(finished, key=lambda item: item["shard_index"])


@flow(name="evaluate")
def evaluate(
    run_id: int,
    shards: int = 1,
    dispatch: str = "local",
    shard_deployment: str = DEFAULT_SHARD_DEPLOYMENT,
    batch_size: int = 4,
    use_sweeps: bool = True,
    device: str | None = None,
    database_url: str | None = None,
    poll_s: float = 2.0,
) -> dict[str, Any]:
    """Evaluate run `run_id` (what is missing of it) and return its outcome."""
    if dispatch not in DISPATCH_MODES:
        raise ValueError(f"unknown dispatch {dispatch!r}; use {' or '.join(DISPATCH_MODES)}")
    if shards < 1:
        raise ValueError(f"shards must be at least 1, got {shards}")
    logger = get_run_logger()
    planned = start_run_task(run_id, device=device, database_url=database_url)
    logger.info("run %d: %d planned edits in %d shard(s), %s", run_id, planned, shards, dispatch)
    try:
        if dispatch == "deployment":
            parameters: dict[str, Any] = {
                "run_id": run_id,
                "batch_size": batch_size,
                "use_sweeps": use_sweeps,
                "device": device,
            }
            if database_url is not None:
                parameters["database_url"] = database_url
            shard_results = _dispatch_to_deployment(
                run_id, shards, deployment=shard_deployment, parameters=parameters, poll_s=poll_s
            )
        elif shards == 1:
            # Called directly, the task runs in this thread, as a plain loop would; torch's
            # intra-op threading differs in pool threads (on a small CPU, tiny models run
            # several times faster single-threaded), which would skew any comparison.
            shard_results = [
                evaluate_shard_task(
                    run_id,
                    0,
                    1,
                    batch_size=batch_size,
                    use_sweeps=use_sweeps,
                    device=device,
                    database_url=database_url,
                )
            ]
        else:
            futures = [
                evaluate_shard_task.submit(
                    run_id,
                    index,
                    shards,
                    batch_size=batch_size,
                    use_sweeps=use_sweeps,
                    device=device,
                    database_url=database_url,
                )
                for index in range(shards)
            ]
            shard_results = [future.result() for future in futures]
    except Exception as error:
        finish_run_task(run_id, error=f"{type(error).__name__}: {error}", database_url=database_url)
        raise
    outcome = finish_run_task(run_id, error=None, database_url=database_url)
    return {**outcome, "shards": shard_results}


@flow(name="evaluate-shard")
def evaluate_shard_flow(
    run_id: int,
    shard_index: int = 0,
    shard_count: int = 1,
    batch_size: int = 4,
    use_sweeps: bool = True,
    device: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """One shard of a run: the deployment that GPU workers pick up."""
    return evaluate_shard_task(
        run_id,
        shard_index,
        shard_count,
        batch_size=batch_size,
        use_sweeps=use_sweeps,
        device=device,
        database_url=database_url,
    )
