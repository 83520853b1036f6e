"""Deployments and work pools: how a run is shared by GPU workers on several machines.

Two process work pools:
- `gpu`: one worker per GPU (`prefect worker start --pool gpu --limit 1`, with
  `CUDA_VISIBLE_DEVICES` set per worker); it runs the model-heavy deployments
  `evaluate-shard/gpu` and `score/gpu`;
- `control`: any small machine; it runs `evaluation-pipeline/control` (a parent that only
  creates the run and waits for its shards) and `import-dataset/control`. Parents never
  take a GPU worker's slot, so one GPU worker cannot deadlock waiting for its own shards.

The same deployments are declared in `prefect.yaml` for `prefect deploy --all`; this
module is what `handsoff deploy` calls (and what the integration tests use).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows import REPO_ROOT

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeploymentSpec:
    entrypoint: str  # path:function, relative to the source folder
    name: str  # deployment name; runs are started as "<flow name>/<name>"
    pool: str  # "gpu" or "control": replaced by the pool names given to deploy_flows
    description: str


DEPLOYMENTS: tuple[DeploymentSpec, ...] = (
    DeploymentSpec(
        "flows/orchestration/evaluate.py:evaluate_shard_flow",
        "gpu",
        "gpu",
        "One shard of an evaluation run (started by `evaluate` with dispatch=deployment).",
    ),
    DeploymentSpec(
        "flows/orchestration/score.py:score",
        "gpu",
        "gpu",
        "Metrics for the edits of a run that lack them.",
    ),
    DeploymentSpec(
        "flows/orchestration/pipeline.py:evaluation_pipeline",
        "control",
        "control",
        "Create a run, evaluate it (shards on the gpu pool) and score it.",
    ),
    DeploymentSpec(
        "flows/orchestration/import_dataset.py:import_dataset",
        "control",
        "control",
        "Import a dataset (MagicBrush zip/folder, hub parquet, JSONL).",
    ),
    DeploymentSpec(
        "flows/orchestration/report.py:report_flow",
        "control",
        "control",
        "A run's report as a markdown artifact (and its files, given out_dir).",
    ),
)


def ensure_work_pool(name: str, *, pool_type: str = "process") -> bool:
    """Create the work pool `name` unless it exists; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type=pool_type))
        except ObjectAlreadyExists:
            return False
    logger.info("created %s work pool %s", pool_type, name)
    return True


def deploy_flows(
    *,
    source: Path = REPO_ROOT,
    gpu_pool: str = "gpu",
    control_pool: str = "control",
    which: tuple[str, ...] = ("gpu", "control"),
) -> list[str]:
    """Create the pools and (re)deploy the flows from `source`; returns "<flow>/<name>"s.

    `source` is the folder workers run the code from: this checkout, at the same path on
    every worker machine (or a shared file system).
    """
    from prefect import Flow
    from prefect import flow as prefect_flow

    pools = {"gpu": gpu_pool, "control": control_pool}
    created = []
    for role in which:
        ensure_work_pool(pools[role])
    for spec in DEPLOYMENTS:
        if spec.pool not in which:
            continue
        loaded: Flow[..., Any] = prefect_flow.from_source(  # type: ignore[assignment]
            source=str(source), entrypoint=spec.entrypoint
        )  # sync context: a Flow, not a coroutine
        loaded.deploy(
            name=spec.name,
            work_pool_name=pools[spec.pool],
            description=spec.description,
            build=False,
            push=False,
            print_next_steps=False,
        )
        created.append(f"{loaded.name}/{spec.name}")
    return created
