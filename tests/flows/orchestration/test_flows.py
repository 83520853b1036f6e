"""The Prefect flows under one session-scoped test harness, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from db.engine import session_scope
from db.models import MethodConfig
from db.queries.runs import get_run
from flows.runs.request import RunRequest, create_run
from tests.flows.helpers import edit_rows, samples

pytestmark = pytest.mark.usefixtures("prefect_harness", "flow_settings")


def _artifact_markdown(key: str, flow_run_id: str) -> str:
    """The artifact `key` of one flow run: tests share a Prefect server, and other tests'
    databases have a run with the same id, so the key alone may name another run's."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
    )

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]),
            )
        )
    assert artifacts, f"no artifact {key} of flow run {flow_run_id}"
    return str(artifacts[0].data)


def test_evaluate_flow_runs_shards_and_records_the_run(engine: Engine, dataset: str) -> None:
    from flows.orchestration.evaluate import evaluate

    run_id = create_run(
        engine=engine, request=RunRequest(dataset=dataset, methods=["identity"], profile="tiny")
    )
    result = evaluate(run_id, shards=2, batch_size=2)
    planned = 2 * len(samples(engine))
    assert (result["status"], result["done"], result["failed"]) == ("completed", planned, 0)
    assert sorted(shard["shard_index"] for shard in result["shards"]) == [0, 1]
    assert sum(shard["done"] for shard in result["shards"]) == planned
    with session_scope(engine) as session:
        run = get_run(session=session, run_id=run_id)
        provenance = dict(run.provenance)
        assert run.status == "completed" and run.counts["done"] == planned
    assert provenance["packages"]["prefect"] and provenance["device"]["resolved"] == "cpu"
    assert "sha" in provenance["git"] and provenance["prefect"]["flow_run_id"]
    assert set(provenance["shards"]) == {"0/2", "1/2"}
    assert provenance["shards"]["0/2"]["report"]["done"] > 0
    markdown = _artifact_markdown(f"run-{run_id}", provenance["prefect"]["flow_run_id"])
    assert f"## Run {run_id}: completed" in markdown
    with session_scope(engine) as session:
        labels = sorted(config.label for config in session.scalars(select(MethodConfig)))
    # One row per config (identity and its ground-truth oracle), named by its one label.
    assert [label.split("@")[0] for label in labels] == ["ground-truth", "identity"]
    for label in labels:
        assert f"| {label} | {planned // 2} | 0 | 0 |" in markdown
    # Rerun: nothing to do, same rows.
    rows = edit_rows(engine)
    again = evaluate(run_id)
    assert again["shards"][0]["already_done"] == planned and again["shards"][0]["done"] == 0
    assert [row.id for row in edit_rows(engine)] == [row.id for row in rows]


def test_pipeline_imports_creates_evaluates_and_scores(engine: Engine, synthetic_dir: Path) -> None:
    from flows.orchestration.pipeline import evaluation_pipeline

    result = evaluation_pipeline(
        dataset="piped",
        methods=["identity"],
        profile="tiny",
        limit=3,
        import_path=str(synthetic_dir),
        import_format="magicbrush",
        metrics=["l1", "l2"],
    )
    assert result["import"]["imported"] > 3
    assert result["evaluation"]["status"] == "completed"
    assert result["evaluation"]["done"] == 6  # 3 samples x (identity, ground-truth)
    assert result["score"]["scored"] == 6 and result["score"]["failed"] == 0
    with session_scope(engine) as session:
        run = get_run(session=session, run_id=result["run_id"])
        assert run.selection == {"limit": 3}


def test_a_run_that_does_not_exist_fails_the_flow(engine: Engine) -> None:
    from db.queries.runs import RunNotFound
    from flows.orchestration.evaluate import evaluate

    with pytest.raises(RunNotFound, match="no run with id 99"):
        evaluate(99)


def test_model_slot_creates_and_holds_a_limit() -> None:
    from prefect.client.orchestration import get_client

    from flows.orchestration.gpu_slots import model_slot

    name = "handsoff-gpu-test-0"
    with model_slot(name), get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(name)
        assert (limit.limit, limit.active_slots) == (1, 1)
    with get_client(sync_client=True) as client:
        assert client.read_global_concurrency_limit_by_name(name).active_slots == 0


def test_tasks_retry_only_transient_database_errors() -> None:
    from prefect import flow, task
    from sqlalchemy.exc import OperationalError

    from flows.orchestration.retry_policy import prefect_retry_condition

    calls: list[str] = []

    @task(retries=2, retry_delay_seconds=0, retry_condition_fn=prefect_retry_condition)
    def flaky(kind: str) -> str:
        calls.append(kind)
        if kind == "transient" and calls.count(kind) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        if kind == "bug":
            raise ValueError("not a database problem")
        return "ok"

    @flow
    def both() -> list[str]:
        first = flaky("transient")
        try:
            flaky("bug")
        except ValueError:
            return [first, "bug raised"]
        return [first, "bug swallowed"]

    assert both() == ["ok", "bug raised"]
    assert calls == ["transient", "transient", "bug"]
