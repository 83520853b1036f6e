"""`handsoff run` killed with SIGKILL mid-run, then resumed: the killed command leaves no
process behind (its ephemeral Prefect server and its watchdog end within a few seconds,
flows/cli/watchdog.py), and `handsoff run --resume` finishes the run with every edit stored
exactly once and, when it exits, leaves nothing running either.

Slow (an ephemeral Prefect server starts twice: about a minute on 2 cores), run in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Edit, Run
from db.queries.edits import duplicate_edit_keys, orphan_images
from flows.cli.watchdog import GRACE_S
from tests.flows.helpers import import_synthetic
from tests.flows.processes import (
    TreeProcess,
    process_tree,
    still_running,
    wait_for,
    wait_until_gone,
)

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _command_env(database_url: str, tmp_path: Path, tiny_models_dir: Path) -> dict[str, str]:
    """A user's shell: no Prefect server configured, so `handsoff run` starts its own."""
    env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
    env.update(
        {
            "HANDSOFF_DATABASE_URL": database_url,
            "HANDSOFF_HOME": str(tmp_path / "home"),
            "HANDSOFF_MODELS_DIR": str(tiny_models_dir),
            "HANDSOFF_DEVICE": "cpu",
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        }
    )
    env.pop("HANDSOFF_DEBUG", None)
    return env


def _edit_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Edit)) or 0)


def _run_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Run.id)))


def _describe(tree: list[TreeProcess]) -> str:
    return "; ".join(f"{member.pid}: {member.command[:120]}" for member in tree)


def _run_watching_its_tree(
    argv: list[str], env: dict[str, str], cwd: Path, *, timeout_s: float
) -> tuple[subprocess.CompletedProcess[str], list[TreeProcess]]:
    """Run `argv` to its end, noting every process seen below it on the way."""
    process = subprocess.Popen(
        argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen: dict[tuple[int, int], TreeProcess] = {}
    deadline = time.monotonic() + timeout_s
    try:
        while process.poll() is None and time.monotonic() < deadline:
            for member in process_tree(process.pid)[1:]:
                seen[(member.pid, member.started)] = member
            time.sleep(0.2)
        stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr), list(
        seen.values()
    )


def test_run_killed_mid_run_leaves_no_process_and_resumes(
    tmp_path: Path,
    sqlite_template: Path,
    tiny_models_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    bench = tmp_path_factory.mktemp("killed") / "bench"
    write_synthetic_benchmark(bench, sessions=60, seed=7, size=64)
    path = tmp_path / "killed.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    import_synthetic(engine, bench, name="killed")
    env = _command_env(url, tmp_path, tiny_models_dir)
    run = [str(BIN / "handsoff"), "run", "--methods", "identity", "--no-score", "--json"]

    # 1. Start the run; once it has stored an edit, SIGKILL the command alone.
    log = tmp_path / "killed-run.log"
    with log.open("wb") as output:
        command = subprocess.Popen(
            [*run, "--dataset", "killed", "--batch-size", "1"],
            env=env,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the test can clean up whatever is left
        )

    def stored_an_edit() -> bool:
        if command.poll() is not None:
            raise AssertionError(
                f"the run ended (exit {command.returncode}) before it stored an edit: "
                f"{log.read_text(errors='replace')[-3000:]}"
            )
        return _edit_count(engine) > 0

    try:
        wait_for(stored_an_edit, timeout_s=300, what="first edit", every_s=0.05)
        killed_tree = process_tree(command.pid)
        os.kill(command.pid, signal.SIGKILL)
        command.wait(timeout=30)
        at_kill = _edit_count(engine)
        helpers = killed_tree[1:]
        assert any("watchdog" in member.command for member in helpers), _describe(killed_tree)
        assert any("watchdog" not in member.command for member in helpers), (
            f"no Prefect server under the command: {_describe(killed_tree)}"
        )
        # 2. Its helpers end by themselves: the watchdog's SIGTERM, then SIGKILL after grace.
        left = wait_until_gone(killed_tree, timeout_s=GRACE_S + 5)
        assert left == [], f"still running after the kill: {_describe(left)}"
    finally:
        for member in still_running(killed_tree if "killed_tree" in locals() else []):
            os.kill(member.pid, signal.SIGKILL)
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait()

    # 3. Resume: only what is missing is done, each edit once; at its exit nothing lingers.
    (run_id,) = _run_ids(engine)
    resumed, resumed_helpers = _run_watching_its_tree(
        [*run, "--resume", str(run_id)], env, tmp_path, timeout_s=400
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    payload = json.loads(resumed.stdout)
    assert payload["status"] == "completed"
    assert 0 < at_kill < payload["planned"], "the run finished before the kill: nothing tested"
    with session_scope(engine) as session:
        statuses = session.scalars(select(Edit.status)).all()
        assert duplicate_edit_keys(session=session) == 0
        assert orphan_images(session=session) == []
    assert len(statuses) == payload["planned"] and set(statuses) == {"done"}
    assert resumed_helpers, "the resumed command started no helper: its watchdog is missing"
    left = wait_until_gone(resumed_helpers, timeout_s=GRACE_S + 5)
    assert left == [], f"still running after the resumed command ended: {_describe(left)}"
    assert still_running(killed_tree) == []
    engine.dispose()
