"""Real processes for the integration tests: a Prefect server on loopback, process workers,
and a throwaway PostgreSQL. Each helper cleans up only the processes it started."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(
    condition: Callable[[], bool], *, timeout_s: float, what: str, every_s: float = 0.5
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every_s)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")


def prefect_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
    )
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    return env


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes], *, grace_s: float = 10) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def prefect_server(home: Path, *, startup_timeout_s: float = 180) -> Iterator[str]:
    """`prefect server start` on a free loopback port; yields its API URL."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(BIN / "prefect"),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
        ],
        env=prefect_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        wait_for(
            lambda: process.poll() is None and _healthy(url),
            timeout_s=startup_timeout_s,
            what=f"Prefect server (log: {home / 'server.log'})",
        )
        yield url
    finally:
        _stop(process)
        log.close()


@contextmanager
def prefect_worker(
    pool: str, *, name: str, home: Path, api_url: str, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """`prefect worker start --pool POOL --limit 1` (one flow run at a time, like one GPU)."""
    log = (home / f"worker-{name}.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--limit", "1", "--name", name],
        env={**prefect_env(home, api_url), **env},
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        for child in descendants(process.pid):
            kill(child)
        _stop(process)
        log.close()


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), deepest first."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces: the parent pid is the 2nd field after ")".
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = list(children.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, []))
    return found[::-1]


@dataclass(frozen=True)
class TreeProcess:
    """One process of a command's tree, as seen at one moment."""

    pid: int
    started: int  # clock ticks after boot: tells this process from a later one given its pid
    command: str


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/PID/stat after the command name (state first), or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()


def process_tree(pid: int) -> list[TreeProcess]:
    """`pid` and every process below it, now (pids that end while being read are left out)."""
    tree = []
    for member in [pid, *descendants(pid)]:
        fields = _stat_fields(member)
        try:
            command = Path(f"/proc/{member}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if fields is not None:
            tree.append(TreeProcess(member, int(fields[19]), command.decode(errors="replace")))
    return tree


def still_running(tree: list[TreeProcess]) -> list[TreeProcess]:
    """Members of `tree` still running: same pid and start time, and not a zombie (a zombie
    has ended; only its exit status waits for a parent that may never collect it)."""
    running = []
    for member in tree:
        fields = _stat_fields(member.pid)
        if fields is not None and int(fields[19]) == member.started and fields[0] != "Z":
            running.append(member)
    return running


def wait_until_gone(tree: list[TreeProcess], *, timeout_s: float) -> list[TreeProcess]:
    """Wait for every member of `tree` to end; returns those still running at the deadline."""
    deadline = time.monotonic() + timeout_s
    while (running := still_running(tree)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def kill(pid: int, sig: int = signal.SIGKILL) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def postgres_binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@contextmanager
def throwaway_postgres(root: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """A PostgreSQL of our own (scripts/postgres.sh on a free port under `root`); yields its
    URL and a function that restarts it (fast shutdown: open connections are cut)."""
    port = free_port()
    env = {**os.environ, "HANDSOFF_PGROOT": str(root), "HANDSOFF_PGPORT": str(port)}
    script = REPO_ROOT / "scripts" / "postgres.sh"
    url = (
        subprocess.run(
            [str(script), "start"], env=env, check=True, capture_output=True, text=True, timeout=120
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    bin_dir = postgres_binaries()
    assert bin_dir is not None
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def restart() -> None:
        subprocess.run(
            [
                *as_postgres,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(root / "data"),
                "-l",
                str(root / "server.log"),
                "-m",
                "fast",
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {port} -k {root / 'run'} -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 -c fsync=off",
                "restart",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )

    try:
        yield url, restart
    finally:
        subprocess.run([str(script), "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def online_workers(pool: str) -> set[str]:
    """Names of the workers that have sent a heartbeat to `pool`."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {worker.name for worker in client.read_workers_for_work_pool(pool)}


def drain_prefect_workers() -> None:
    """Send this process's queued Prefect logs and events now, while the server that
    `PREFECT_API_URL` names is still up (as `prefect_test_harness` does on exit); else
    they are retried against a stopped server for a minute at the session's end."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        logs: Any = None
        with suppress(RuntimeError):  # never started
            logs = APILogWorker.instance().drain()
        if inspect.isawaitable(logs):
            await logs
        events: Any = EventsWorker.drain_all()
        if inspect.isawaitable(events):
            await events

    run_coro_as_sync(drain())
