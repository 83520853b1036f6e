"""Children die with their parent: a watchdog process for one CLI command.

Prefect's ephemeral server (and any other helper a command starts) is a child process; if
the command is killed with SIGKILL, nothing of ours runs, and the child is re-parented to
init and lives on. So `start_watchdog()` starts this file as a tiny separate process (in
its own session, stdlib only) that keeps a list of the command's descendants and, when the
command ends however it ends, sends them SIGTERM and, after a grace period, SIGKILL. A
configured long-lived Prefect server is not a child, so it is never touched.

Linux only (pidfd and /proc); elsewhere `start_watchdog()` does nothing.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

GRACE_S = 5.0  # between SIGTERM and SIGKILL: the server flushes and exits in well under this
EVERY_S = 0.5  # how often the list of descendants is refreshed


def start_watchdog() -> subprocess.Popen[bytes] | None:
    """Watch this process; returns the watchdog (None where the platform lacks pidfd)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return None
    return subprocess.Popen(
        # -I -S: no site, no user paths; the watchdog imports nothing of the project.
        [sys.executable, "-I", "-S", str(Path(__file__).resolve()), str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the terminal must not reach it first
        close_fds=True,
    )


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of `pid`, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and ')': split after its last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return int(fields[1]), int(fields[19])


def _descendants(root: int, *, exclude: int) -> dict[int, int]:
    """{pid: start time} of every live descendant of `root` (except `exclude`)."""
    parents: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None:
                parents[int(entry)] = stat
    found: dict[int, int] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in parents.items():
            if ppid == parent and pid != exclude and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def _still_same(pid: int, started: int) -> bool:
    """Alive and not a new process that reused the pid."""
    stat = _stat(pid)
    return stat is not None and stat[1] == started


def _signal_all(known: dict[int, int], sig: signal.Signals) -> None:
    for pid, started in known.items():
        if _still_same(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def watch(parent: int) -> None:
    try:
        pidfd = os.pidfd_open(parent)
    except ProcessLookupError:
        return
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    known: dict[int, int] = {}
    while not poller.poll(EVERY_S * 1000):
        # Keep everything ever seen: a grandchild re-parented to init after its own parent
        # ended is still the command's.
        known.update(_descendants(parent, exclude=os.getpid()))
        known = {pid: started for pid, started in known.items() if _still_same(pid, started)}
    _signal_all(known, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and any(_still_same(p, s) for p, s in known.items()):
        time.sleep(0.1)
    _signal_all(known, signal.SIGKILL)


if __name__ == "__main__":
    watch(int(sys.argv[1]))
