"""Scale-out on Prefect itself: a real `prefect server start` on loopback, a `process` work
pool, `prefect worker start` processes, one run sharded across them; and a worker killed
with SIGKILL mid-run, the run started again.

Slow (a server and workers start: about a minute and a half on 2 cores) but run in CI.
Uses PostgreSQL when the tests have one (as real multi-machine setups do), else SQLite.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Edit
from db.queries.edits import duplicate_edit_keys, orphan_images
from db.queries.runs import get_run
from flows.runs.request import RunRequest, create_run
from tests.db_fixtures import drop_postgres_database, fresh_postgres_url
from tests.flows.helpers import import_synthetic
from tests.flows.processes import (
    descendants,
    drain_prefect_workers,
    kill,
    online_workers,
    prefect_server,
    prefect_worker,
    process_tree,
    still_running,
    wait_for,
    wait_until_gone,
)

pytestmark = pytest.mark.slow

POOL = "it-gpu"
SHARD_DEPLOYMENT = "evaluate-shard/gpu"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A Prefect server with the `gpu` deployments on pool POOL; this process points at it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.orchestration.deploy import deploy_flows

    home = tmp_path_factory.mktemp("prefect-server")
    with prefect_server(home) as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        deployed = deploy_flows(gpu_pool=POOL, which=("gpu",))
        assert SHARD_DEPLOYMENT in deployed
        yield {"api_url": api_url, "home": home}
        drain_prefect_workers()


@pytest.fixture
def shared_database(
    tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[str]:
    if postgres_template is not None:
        url, name = fresh_postgres_url(postgres_template)
        yield url
        drop_postgres_database(name)
        return
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    yield f"sqlite:///{path}"


def _worker_env(database_url: str, tmp_path: Path, tiny_models_dir: Path) -> dict[str, str]:
    return {
        "HANDSOFF_DATABASE_URL": database_url,
        "HANDSOFF_HOME": str(tmp_path / "home"),
        "HANDSOFF_MODELS_DIR": str(tiny_models_dir),
        "HANDSOFF_DEVICE": "cpu",
    }


def _edit_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Edit)) or 0)


def _assert_exactly_once(engine: Engine, planned: int) -> None:
    with session_scope(engine) as session:
        statuses = session.scalars(select(Edit.status)).all()
        assert duplicate_edit_keys(session=session) == 0
        assert orphan_images(session=session) == []
    assert len(statuses) == planned and set(statuses) == {"done"}


def test_one_run_sharded_across_two_workers(
    server: dict[str, Any],
    shared_database: str,
    tmp_path: Path,
    tiny_models_dir: Path,
    synthetic_dir: Path,
) -> None:
    from flows.orchestration.evaluate import evaluate

    engine = make_engine(shared_database)
    import_synthetic(engine, synthetic_dir, name="syn")
    run_id = create_run(engine=engine, request=RunRequest(dataset="syn", methods=["identity"]))
    env = _worker_env(shared_database, tmp_path, tiny_models_dir)
    home = server["home"]
    with (
        prefect_worker(POOL, name="w1", home=home, api_url=server["api_url"], env=env) as first,
        prefect_worker(POOL, name="w2", home=home, api_url=server["api_url"], env=env) as second,
    ):
        wait_for(lambda: {"w1", "w2"} <= online_workers(POOL), timeout_s=120, what="workers online")
        result = evaluate(
            run_id,
            shards=4,
            dispatch="deployment",
            shard_deployment=SHARD_DEPLOYMENT,
            database_url=shared_database,
            poll_s=1.0,
        )
        workers = {first.pid: "w1", second.pid: "w2"}
    assert result["status"] == "completed" and result["failed"] == 0
    assert [shard["state"] for shard in result["shards"]] == ["Completed"] * 4
    _assert_exactly_once(engine, result["planned"])
    with session_scope(engine) as session:
        shards = get_run(session=session, run_id=run_id).provenance["shards"]
    assert set(shards) == {"0/4", "1/4", "2/4", "3/4"}
    # Each shard ran in a flow-run process started by one of the two workers; both took some.
    used = {workers.get(shard["parent_pid"]) for shard in shards.values()}
    assert used == {"w1", "w2"}, shards
    assert sum(shard["report"]["done"] for shard in shards.values()) == result["planned"]


def test_worker_killed_mid_run_then_resumed(
    server: dict[str, Any],
    shared_database: str,
    tmp_path: Path,
    tiny_models_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from prefect.deployments import run_deployment

    from flows.orchestration.evaluate import evaluate
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    bench = tmp_path_factory.mktemp("crash") / f"bench-{uuid.uuid4().hex[:6]}"
    write_synthetic_benchmark(bench, sessions=60, seed=5, size=64)
    engine = make_engine(shared_database)
    import_synthetic(engine, bench, name="crash")
    run_id = create_run(engine=engine, request=RunRequest(dataset="crash", methods=["identity"]))
    env = _worker_env(shared_database, tmp_path, tiny_models_dir)
    home = server["home"]
    with prefect_worker(
        POOL, name="doomed", home=home, api_url=server["api_url"], env=env
    ) as doomed:
        run_deployment(
            name=SHARD_DEPLOYMENT,
            parameters={"run_id": run_id, "database_url": shared_database},
            timeout=0,
            as_subflow=False,
        )
        wait_for(lambda: _edit_count(engine) > 0, timeout_s=180, what="first edit", every_s=0.02)
        # SIGKILL the flow-run process and the worker: no cleanup code of ours runs.
        killed_tree = process_tree(doomed.pid)
        assert len(killed_tree) >= 2, f"no flow-run process under the worker: {killed_tree}"
        for pid in [*descendants(doomed.pid), doomed.pid]:
            kill(pid)
        doomed.wait(timeout=30)
        time.sleep(0.5)
        at_kill = _edit_count(engine)
    assert at_kill > 0, "the worker was killed before it stored anything"
    assert wait_until_gone(killed_tree, timeout_s=10) == []
    # The run started again, on a fresh worker: only what is missing is done.
    with prefect_worker(POOL, name="fresh", home=home, api_url=server["api_url"], env=env):
        result = evaluate(
            run_id,
            dispatch="deployment",
            shard_deployment=SHARD_DEPLOYMENT,
            database_url=shared_database,
            poll_s=1.0,
        )
    assert result["status"] == "completed"
    assert at_kill < result["planned"], "the run finished before the kill: nothing was tested"
    # Nothing of the killed worker's tree came back to life or lingered through the resume.
    assert still_running(killed_tree) == []
    _assert_exactly_once(engine, result["planned"])
    shard = result["shards"][0]
    assert shard["state"] == "Completed"
    with session_scope(engine) as session:
        report = get_run(session=session, run_id=run_id).provenance["shards"]["0/1"]["report"]
    assert (
        report["already_done"] >= at_kill
        and report["done"] == result["planned"] - report["already_done"]
    )
