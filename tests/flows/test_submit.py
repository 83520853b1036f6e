"""Submit and walk away: `handsoff run --submit` hands a run to a worker of the control pool
and returns at once; `--in`/`--at` schedule it; an identical submission returns the queued
run; `handsoff cancel` stops it through Prefect and `--resume` completes it; bad input
creates nothing, in the database or in Prefect.

Against a real `prefect server start` and a real `prefect worker start` on a process pool
(one of each for the whole module), with the tiny profile and the identity oracle, so each
run is a few seconds of work. Uses PostgreSQL when the tests have one, else SQLite.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db.engine import make_engine
from flows.orchestration.start_time import StartTimeError, parse_delay, start_time
from tests.db_fixtures import drop_postgres_database, fresh_postgres_url
from tests.flows.helpers import import_synthetic
from tests.flows.processes import (
    drain_prefect_workers,
    online_workers,
    prefect_server,
    prefect_worker,
    wait_for,
)
from tests.flows.submitting import (
    ControlPool,
    flow_run,
    flow_run_count,
    invoke,
    invoke_json,
    no_duplicate_keys,
    run_count,
    run_edit_count,
    run_provenance,
    run_status,
)

POOL = "it-control"
# Two samples of the small benchmark, the identity oracle (and ground truth, always added):
# four edits, stored in well under a second once the flow run's process is up.
QUICK = ("run", "--dataset", "syn", "--methods", "identity", "--profile", "tiny", "--limit", "2")
QUICK_RUN = (*QUICK, "--no-score")


@pytest.fixture(scope="module")
def control(
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_template: str | None,
    tiny_models_dir: Path,
    synthetic_dir: Path,
) -> Iterator[ControlPool]:
    """A Prefect server with the control deployments on POOL, one worker on it, and the
    database both the worker and this process's CLI use ("syn" and "long" imported)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.orchestration.deploy import deploy_flows
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    root = tmp_path_factory.mktemp("submit")
    if postgres_template is not None:
        database_url, database_name = fresh_postgres_url(postgres_template)
    else:
        database_name = None
        shutil.copyfile(sqlite_template, root / "submit.db")
        database_url = f"sqlite:///{root / 'submit.db'}"
    engine = make_engine(database_url)
    import_synthetic(engine, synthetic_dir, name="syn")
    long_bench = root / "long"
    write_synthetic_benchmark(long_bench, sessions=60, seed=7, size=64)
    import_synthetic(engine, long_bench, name="long")
    env = {
        "HANDSOFF_DATABASE_URL": database_url,
        "HANDSOFF_HOME": str(root / "home"),
        "HANDSOFF_MODELS_DIR": str(tiny_models_dir),
        "HANDSOFF_DEVICE": "cpu",
    }
    home = root / "prefect"
    with prefect_server(home) as api_url, temporary_settings({PREFECT_API_URL: api_url}):
        deployed = deploy_flows(control_pool=POOL, which=("control",))
        assert "evaluation-pipeline/control" in deployed
        with prefect_worker(POOL, name="control-1", home=home, api_url=api_url, env=env):
            wait_for(lambda: "control-1" in online_workers(POOL), timeout_s=120, what="worker")
            yield ControlPool(api_url, home, database_url, engine, env)
        drain_prefect_workers()
    engine.dispose()
    if database_name is not None:
        drop_postgres_database(database_name)


@pytest.fixture
def cli(control: ControlPool, monkeypatch: pytest.MonkeyPatch) -> ControlPool:
    """This process's CLI on the worker's database."""
    for name, value in control.env.items():
        monkeypatch.setenv(name, value)
    return control


def wait_for_status(control: ControlPool, run_id: int, status: str, timeout_s: float) -> None:
    wait_for(
        lambda: run_status(control.engine, run_id) == status,
        timeout_s=timeout_s,
        what=f"run {run_id} {status} (worker log: {control.home / 'worker-control-1.log'})",
        every_s=0.2,
    )


@pytest.mark.slow
def test_submit_returns_before_the_first_edit_and_a_worker_completes_the_run(
    cli: ControlPool,
) -> None:
    started = time.monotonic()
    submitted = invoke_json(*QUICK_RUN, "--submit")
    returned_s = time.monotonic() - started
    run_id = submitted["run_id"]
    assert run_edit_count(cli.engine, run_id) == 0, "the command waited for the work"
    assert returned_s < 15, f"--submit took {returned_s:.1f} s to return"
    assert submitted["reused"] is False
    assert submitted["state_type"] in ("SCHEDULED", "PENDING")
    assert submitted["work_pool"] == POOL
    # The flow run's page in the UI, derived from the API URL, and its id on the run record.
    ui_url = cli.api_url.removesuffix("/api")
    assert submitted["url"] == f"{ui_url}/runs/flow-run/{submitted['flow_run_id']}"
    prefect = run_provenance(cli.engine, run_id)["prefect"]
    assert prefect["pipeline_flow_run_id"] == submitted["flow_run_id"]

    wait_for_status(cli, run_id, "completed", timeout_s=240)
    assert run_edit_count(cli.engine, run_id) == 4 and no_duplicate_keys(cli.engine)
    wait_for(
        lambda: flow_run(submitted["flow_run_id"]).state.is_completed(),
        timeout_s=30,
        what="flow run Completed",
    )
    listed = {run["id"]: run for run in invoke_json("runs")}
    assert listed[run_id]["prefect"]["state"] == "Completed"
    # A finished run cannot be cancelled: one line, nothing changed.
    code, output = invoke("cancel", str(run_id))
    assert code == 1 and f"run {run_id} is already completed" in output
    assert len(output.strip().splitlines()) == 1
    assert run_status(cli.engine, run_id) == "completed"


@pytest.mark.slow
def test_a_run_submitted_in_20s_is_scheduled_and_does_not_start_before(
    cli: ControlPool,
) -> None:
    before = datetime.now(UTC)
    submitted = invoke_json(*QUICK_RUN, "--seed", "1", "--submit", "--in", "20s")
    run_id = submitted["run_id"]
    assert submitted["state"] == "Scheduled"
    scheduled = datetime.fromisoformat(submitted["scheduled_time"])
    assert timedelta(seconds=19) <= scheduled - before <= timedelta(seconds=25)
    # Listed before it starts, with its Prefect state and when it starts.
    listed = {run["id"]: run for run in invoke_json("runs")}
    assert listed[run_id]["status"] == "pending"
    assert listed[run_id]["prefect"]["state"] == "Scheduled"
    assert listed[run_id]["prefect"]["work_pool"] == POOL
    # Until its time, nothing of it runs (the worker may take it a few seconds early, but
    # Prefect holds it until the scheduled time).
    while datetime.now(UTC) < scheduled - timedelta(seconds=1):
        assert run_edit_count(cli.engine, run_id) == 0
        assert run_status(cli.engine, run_id) == "pending"
        time.sleep(0.5)
    wait_for_status(cli, run_id, "completed", timeout_s=240)
    start = flow_run(submitted["flow_run_id"]).start_time
    assert start is not None and start >= scheduled - timedelta(seconds=1), (start, scheduled)
    assert run_edit_count(cli.engine, run_id) == 4


@pytest.mark.slow
def test_an_identical_submission_returns_the_queued_run_unless_forced(cli: ControlPool) -> None:
    later = (datetime.now() + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S")  # local
    first = invoke_json(*QUICK_RUN, "--seed", "2", "--submit", "--at", later)
    runs, flow_runs = run_count(cli.engine), flow_run_count()
    again = invoke_json(*QUICK_RUN, "--seed", "2", "--submit", "--at", later)
    assert (again["run_id"], again["flow_run_id"]) == (first["run_id"], first["flow_run_id"])
    assert again["reused"] is True
    code, output = invoke(*QUICK_RUN, "--seed", "2", "--submit")
    assert code == 0 and f"run {first['run_id']} is already Scheduled" in output
    assert "nothing new submitted" in output
    assert (run_count(cli.engine), flow_run_count()) == (runs, flow_runs)
    # A different request is not the same run; --force submits another of the same.
    other = invoke_json(*QUICK_RUN, "--seed", "3", "--submit", "--at", later)
    forced = invoke_json(*QUICK_RUN, "--seed", "2", "--submit", "--at", later, "--force")
    assert len({first["run_id"], other["run_id"], forced["run_id"]}) == 3
    assert forced["reused"] is False and run_count(cli.engine) == runs + 2
    # Scheduled runs are cancelled at once (no process to end): nothing of them ran.
    for submitted in (first, other, forced):
        cancelled = invoke_json("cancel", str(submitted["run_id"]))
        assert cancelled["status"] == "cancelled" and cancelled["prefect_state"] == "Cancelled"
        assert run_edit_count(cli.engine, submitted["run_id"]) == 0
    listed = {run["id"]: run for run in invoke_json("runs")}
    assert listed[first["run_id"]]["status"] == "cancelled"
    assert listed[first["run_id"]]["prefect"]["state"] == "Cancelled"
    code, output = invoke("cancel", str(first["run_id"]))
    assert code == 1 and "is already cancelled" in output and "--resume" in output


@pytest.mark.slow
def test_cancel_mid_run_gives_cancelled_and_resume_completes_every_key_once(
    cli: ControlPool,
) -> None:
    args = ("run", "--dataset", "long", "--methods", "identity", "--profile", "tiny")
    submitted = invoke_json(*args, "--no-score", "--submit")
    run_id = submitted["run_id"]
    wait_for(
        lambda: run_edit_count(cli.engine, run_id) > 0,
        timeout_s=240,
        what="first edit",
        every_s=0.05,
    )
    cancelled = invoke_json("cancel", str(run_id))
    assert cancelled["status"] == "cancelled", cancelled
    assert cancelled["prefect_state"] == "Cancelled", cancelled
    at_cancel = run_edit_count(cli.engine, run_id)
    time.sleep(2)
    stored = run_edit_count(cli.engine, run_id)
    assert stored == at_cancel, "edits were still being written after the flow run ended"
    assert run_status(cli.engine, run_id) == "cancelled"
    resumed = invoke_json("run", "--resume", str(run_id), "--no-score")
    assert resumed["status"] == "completed"
    assert 0 < stored < resumed["planned"], "the run finished before the cancel: nothing was tested"
    assert run_edit_count(cli.engine, run_id) == resumed["planned"] == resumed["done"]
    assert no_duplicate_keys(cli.engine)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--at", "2001-01-01T00:00:00+00:00"), "--at '2001-01-01T00:00:00+00:00' is in the past"),
        (("--at", "tomorrow 10pm"), "--at 'tomorrow 10pm': expected an ISO 8601 time"),
        (("--in", "20 minutes"), "--in '20 minutes': expected a delay such as 45s"),
        (("--in", "20s", "--at", "2030-01-01T00:00"), "give --at or --in, not both"),
        (
            ("--deployment", "evaluation-pipeline/nowhere"),
            "no deployment 'evaluation-pipeline/nowhere' on the Prefect server",
        ),
        (("--methods", "identity,warp"), "unknown method(s) 'warp'"),
    ],
)
def test_bad_submissions_create_nothing(
    cli: ControlPool, extra: tuple[str, ...], message: str
) -> None:
    runs, flow_runs = run_count(cli.engine), flow_run_count()
    code, output = invoke(*QUICK_RUN, "--submit", *extra)
    assert code == 1, output
    assert message in output and len(output.strip().splitlines()) == 1, output
    if "nowhere" in message:
        assert "handsoff deploy" in output
    assert (run_count(cli.engine), flow_run_count()) == (runs, flow_runs)


@pytest.mark.slow
def test_submit_without_a_configured_server_is_refused(cli: ControlPool) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    runs = run_count(cli.engine)
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        code, output = invoke(*QUICK_RUN, "--submit")
    assert code == 1 and "--submit needs a Prefect server" in output
    assert run_count(cli.engine) == runs


def test_delays_and_times_parse_to_utc_start_times() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert parse_delay("45s") == timedelta(seconds=45)
    assert parse_delay("1h30m") == timedelta(minutes=90)
    assert start_time(at=None, delay="2h", now=now) == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)
    assert start_time(at="2026-12-02T22:00+01:00", delay=None, now=now) == datetime(
        2026, 12, 2, 21, 0, tzinfo=UTC
    )
    assert start_time(at="2026-12-02T13:00Z", delay=None, now=now) == datetime(
        2026, 12, 2, 13, 0, tzinfo=UTC
    )
    local = datetime(2026, 12, 3, 8, 0).astimezone()  # no offset given: this machine's zone
    assert start_time(at="2026-12-03T08:00", delay=None, now=now) == local.astimezone(UTC)
    assert start_time(at=None, delay=None, now=now) is None
    for bad in ("0s", "5", "h", "-5m", "5 weeks"):
        with pytest.raises(StartTimeError, match="--in"):
            start_time(at=None, delay=bad, now=now)
    with pytest.raises(StartTimeError, match="in the past"):
        start_time(at="2026-12-02T11:59:59Z", delay=None, now=now)
