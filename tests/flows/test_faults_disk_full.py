"""A disk full for real: the SQLite database and the data directory sit on a 1 MiB tmpfs,
and `handsoff data import` (a subprocess, as a user runs it) of a dataset larger than that
fills it. The command ends with the one-line "disk full" message and exit 13, no traceback;
the database stays readable, holds only whole records, and once space is freed the same
command imports the rest (what was finished is kept, nothing twice).

Mounting needs root (or CAP_SYS_ADMIN); where it is refused the test is skipped and
tests/cli/test_error_boundary.py's injected ENOSPC and SQLite `max_page_count` cases remain.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.cli.errors import ExitCode

BIN = Path(sys.executable).parent
SMALL = "1m"  # holds the migrated schema (about 0.2 MB) and one or two batches of samples
ROOMY = "16m"  # the same mount after space is freed: the whole dataset fits


def _mount_tmpfs(where: Path, size: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of SMALL bytes mounted for this test alone, unmounted whatever happens."""
    where = tmp_path / "small-disk"
    where.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no `mount` command: cannot make a small file system")
    mounted = _mount_tmpfs(where, SMALL)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        _unmount(where)


def _unmount(where: Path, *, within_s: float = 15) -> None:
    """Unmount, waiting for processes of the command that are still exiting to let go."""
    deadline = time.monotonic() + within_s
    while True:
        done = subprocess.run(["umount", str(where)], capture_output=True, text=True)
        if done.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"cannot unmount the test tmpfs {where}: {done.stderr.strip()}")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def big_benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1.6 MB of MagicBrush-layout images (118 samples): more than SMALL holds."""
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    out = tmp_path_factory.mktemp("disk-full") / "bench"
    write_synthetic_benchmark(out, sessions=60, seed=1, size=256)
    return out


def _import(bench: Path, disk: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HANDSOFF_DATABASE_URL": f"sqlite:///{disk / 'handsoff.db'}",
        "HANDSOFF_HOME": str(disk / "home"),
    }
    env.pop("HANDSOFF_DEBUG", None)
    return subprocess.run(
        [str(BIN / "handsoff"), "data", "import", str(bench), "--name", "big", "--json"],
        env=env,
        cwd=disk.parent,  # not the mount: a process still exiting would keep it busy
        capture_output=True,
        text=True,
        timeout=300,
    )


def _stored(database: Path) -> tuple[int, int, set[str]]:
    """(samples, images, sha256 of images no sample refers to), read by a fresh connection."""
    connection = sqlite3.connect(database)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        samples = connection.execute("SELECT count(*) FROM sample").fetchone()[0]
        images = connection.execute("SELECT count(*) FROM image").fetchone()[0]
        unreferenced = {
            row[0]
            for row in connection.execute(
                "SELECT sha256 FROM image WHERE sha256 NOT IN ("
                "SELECT source_image FROM sample UNION "
                "SELECT mask_image FROM sample WHERE mask_image IS NOT NULL UNION "
                "SELECT target_image FROM sample WHERE target_image IS NOT NULL)"
            )
        }
        return samples, images, unreferenced
    finally:
        connection.close()


def test_import_that_fills_the_disk_fails_cleanly_and_resumes(
    small_tmpfs: Path, sqlite_template: Path, big_benchmark: Path
) -> None:
    from handsoff_core.data import count_records

    total = count_records(big_benchmark, "magicbrush")
    database = small_tmpfs / "handsoff.db"
    shutil.copyfile(sqlite_template, database)

    full = _import(big_benchmark, small_tmpfs)
    lines = [line for line in full.stderr.splitlines() if line.strip()]
    assert full.returncode == ExitCode.DISK_FULL, full.stderr
    assert len(lines) == 1 and lines[0].startswith("error: disk full"), full.stderr
    assert "Traceback" not in full.stderr and full.stdout == ""

    samples, _images, unreferenced = _stored(database)
    assert 0 <= samples < total, "the disk was never full: the test proves nothing"
    assert unreferenced == set(), "images of a record that was not stored were kept"

    # Space freed (the same mount, grown): the same command imports what is missing.
    grown = subprocess.run(
        ["mount", "-o", f"remount,size={ROOMY}", str(small_tmpfs)], capture_output=True, text=True
    )
    assert grown.returncode == 0, grown.stderr
    resumed = _import(big_benchmark, small_tmpfs)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == samples and summary["imported"] == total - samples
    assert summary["rejected"] == 0 and summary["rejections"] == []
    samples_after, _images_after, unreferenced_after = _stored(database)
    assert samples_after == total and unreferenced_after == set()
