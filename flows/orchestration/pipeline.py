"""The parent flow: import (optional) -> create the run -> evaluate -> score.

`handsoff run` creates and checks the run itself (a bad name fails in a second, before
Prefect starts) and passes `run_id`; a deployment of this flow can also be started from
the Prefect UI with the request's fields, and then creates the run here.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from db.engine import session_scope
from db.models import Setting
from db.queries.runs import merge_run_provenance
from flows.orchestration.context import flow_context, prefect_ids
from flows.orchestration.evaluate import DEFAULT_SHARD_DEPLOYMENT, evaluate
from flows.orchestration.import_dataset import import_dataset
from flows.orchestration.retry_policy import database_retries
from flows.orchestration.score import score
from flows.runs.request import RunRequest, create_run


@task(name="create-run", cache_policy=NO_CACHE)
def create_run_task(request: dict[str, Any], database_url: str | None) -> int:
    context = flow_context(database_url)
    return create_run(
        engine=context.engine,
        request=RunRequest(**request),
        provenance={"prefect": prefect_ids()},
        profiles_file=context.settings.profiles_file,
    )


@task(name="record-pipeline", cache_policy=NO_CACHE, **database_retries(backoff_factor=10))
def record_pipeline_task(run_id: int, database_url: str | None) -> None:
    """The pipeline's own flow run (and deployment) in the run's provenance: the flow run a
    cancel must stop (the `evaluate` subflow records its own id as "flow_run_id")."""
    ids = prefect_ids()
    patch = {
        "pipeline_flow_run_id": ids.get("flow_run_id"),
        "pipeline_flow_run_name": ids.get("flow_run_name"),
        "pipeline_deployment_id": ids.get("deployment_id"),
    }
    with session_scope(flow_context(database_url).engine) as session:
        merge_run_provenance(session=session, run_id=run_id, patch={"prefect": patch})


@flow(name="evaluation-pipeline")
def evaluation_pipeline(
    run_id: int | None = None,
    dataset: str | None = None,
    methods: list[str] | None = None,
    profile: str = "paper",
    seed: int = 0,
    setting: str = Setting.SINGLE_TURN.value,
    limit: int | None = None,
    sample_ids: list[str] | None = None,
    weights: list[float] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    import_path: str | None = None,
    import_format: str = "auto",
    shards: int = 1,
    dispatch: str = "local",
    shard_deployment: str = DEFAULT_SHARD_DEPLOYMENT,
    batch_size: int = 4,
    use_sweeps: bool = True,
    score_edits: bool = True,
    metrics: list[str] | None = None,
    device: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Evaluate (and score) run `run_id`, or a new run made from the other parameters."""
    logger = get_run_logger()
    imported = None
    if import_path is not None:
        if dataset is None:
            raise ValueError("import_path needs a dataset name")
        imported = import_dataset(import_path, dataset, import_format, database_url)
    if run_id is None:
        if dataset is None or not methods:
            raise ValueError("give run_id, or dataset and methods to create a run")
        request = {
            "dataset": dataset,
            "methods": list(methods),
            "profile": profile,
            "seed": seed,
            "setting": setting,
            "limit": limit,
            "sample_ids": list(sample_ids or []),
            "weights": list(weights or []),
            "params": dict(params or {}),
        }
        run_id = create_run_task(request, database_url)
        logger.info("created run %d", run_id)
    record_pipeline_task(run_id, database_url)
    evaluation = evaluate(
        run_id,
        shards=shards,
        dispatch=dispatch,
        shard_deployment=shard_deployment,
        batch_size=batch_size,
        use_sweeps=use_sweeps,
        device=device,
        database_url=database_url,
    )
    scores = (
        score(run_id, metrics=metrics, device=device, database_url=database_url)
        if score_edits
        else None
    )
    return {"run_id": run_id, "import": imported, "evaluation": evaluation, "score": scores}
