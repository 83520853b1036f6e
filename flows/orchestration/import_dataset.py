"""The `import-dataset` flow: a dataset folder, zip, parquet or JSONL into the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.importing import import_dataset_path
from flows.orchestration.context import flow_context
from flows.orchestration.retry_policy import database_retries


@task(
    name="import-records",
    # Re-importing is idempotent (samples keyed by external id), so a retry after a lost
    # connection simply continues; Prefect caching would hide a partly failed import.
    cache_policy=NO_CACHE,
    **database_retries(backoff_factor=5),
)
def import_task(path: str, name: str, format: str, database_url: str | None) -> dict[str, Any]:
    context = flow_context(database_url)
    summary = import_dataset_path(
        engine=context.engine,
        path=Path(path),
        name=name,
        format=format,
        max_pixels=context.settings.max_image_pixels,
        max_instruction_chars=context.settings.max_instruction_chars,
    )
    logger = get_run_logger()
    logger.info(
        "dataset %s: %d imported, %d already present, %d rejected",
        name,
        summary.imported,
        summary.skipped,
        summary.rejected_count,
    )
    for rejected in summary.rejected[:20]:
        logger.warning("rejected %s: %s", rejected.external_id, rejected.reason)
    return summary.as_dict()


@flow(name="import-dataset")
def import_dataset(
    path: str, name: str, format: str = "auto", database_url: str | None = None
) -> dict[str, Any]:
    """Import the dataset at `path` as `name`; bad items are rejected by id, the rest imports."""
    return import_task(path, name, format, database_url)
