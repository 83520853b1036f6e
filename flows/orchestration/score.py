"""The `score` flow: metrics for the edits of a run that lack them."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.orchestration.context import FlowContext, flow_context
from flows.orchestration.gpu_slots import device_slot_name, model_slot
from flows.orchestration.retry_policy import database_retries
from flows.runs.plan import load_plan
from flows.scoring import score_run


def metric_models(context: FlowContext, *, profile: str, device: str | None) -> Any:
    """The profile's metric models (CLIP, DINO, sentence embedder), loaded on first use."""
    from handsoff_core.device import resolve_device
    from handsoff_core.metrics import MetricModels
    from handsoff_core.models.profiles import get_profile

    assert context.settings.models_dir is not None
    resolved = get_profile(
        profile,
        profiles_file=context.settings.profiles_file,
        models_dir=context.settings.models_dir,
    )
    return MetricModels.from_profile(
        resolved, device=resolve_device(device or context.settings.device)
    )


@task(
    name="score-edits",
    cache_policy=NO_CACHE,
    tags=["model-heavy"],
    **database_retries(backoff_factor=10),
)
def score_task(
    run_id: int,
    *,
    metrics: list[str] | None,
    batch_size: int,
    device: str | None,
    database_url: str | None,
) -> dict[str, Any]:
    logger = get_run_logger()
    context = flow_context(database_url)
    plan = load_plan(context.engine, run_id)
    models = metric_models(context, profile=plan.profile, device=device)
    with model_slot(device_slot_name(device or context.settings.device)):
        report = score_run(
            engine=context.engine,
            run_id=run_id,
            models=models,
            metrics=metrics,
            batch_size=batch_size,
        )
    logger.info(
        "run %d: %d edits scored, %d already scored, %d refused, %d values",
        run_id,
        report.scored,
        report.already_scored,
        report.failed,
        report.values,
    )
    return report.as_dict()


@flow(name="score")
def score(
    run_id: int,
    metrics: list[str] | None = None,
    batch_size: int = 16,
    device: str | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Compute the metrics (all by default) the run's done edits lack, with its profile's models."""
    return score_task(
        run_id, metrics=metrics, batch_size=batch_size, device=device, database_url=database_url
    )
