"""Children die with their parent: a command killed with SIGKILL leaves no helper behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flows.cli.watchdog import _stat

REPO = Path(__file__).resolve().parents[2]

# A stand-in for a CLI command: starts the watchdog, then a helper and a grandchild helper
# (as Prefect's server would be), prints their pids and waits to be killed.
PARENT = """
import subprocess, sys, time
from flows.cli.watchdog import start_watchdog
start_watchdog()
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
nested = subprocess.Popen(
    ["sh", "-c", "sleep 300 & echo $!; wait"], stdout=subprocess.PIPE, text=True
)
print(helper.pid, nested.pid, nested.stdout.readline().strip(), flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    stat = _stat(pid)
    if stat is None:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _alive(pid)]
        if not left:
            return []
        time.sleep(0.1)
    return [pid for pid in pids if _alive(pid)]


def test_helpers_die_when_the_command_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 3 and all(_alive(pid) for pid in pids)
        time.sleep(1.5)  # the watchdog has seen them (it looks every 0.5 s)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(pids, timeout_s=15) == []
    finally:
        for pid in pids if "pids" in locals() else []:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()


def test_a_process_not_started_by_the_command_is_left_alone() -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        time.sleep(1.5)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(pids, timeout_s=15) == []
        assert bystander.poll() is None  # e.g. a configured long-lived Prefect server
    finally:
        bystander.kill()
        bystander.wait()
