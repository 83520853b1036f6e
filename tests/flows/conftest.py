"""Fixtures of the flow tests: one Prefect harness per session, small imported datasets.

Prefect's home and database live in a temporary folder, analytics are off (no network),
and the embedded server gets a generous start-up timeout (its first start runs migrations:
20-30 s on 2 cores). Only tests that run flows ask for `prefect_harness`; the plain
functions under the flows are tested without Prefect.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

if "PREFECT_HOME" not in os.environ:
    _PREFECT_HOME = tempfile.mkdtemp(prefix="handsoff-prefect-home-")
    os.environ["PREFECT_HOME"] = _PREFECT_HOME
    atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

from sqlalchemy import Engine

from db.engine import make_engine
from tests.flows.helpers import import_synthetic


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture
def flow_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_models_dir: Path, database_url: str
) -> str:
    """Environment for code that reads `Settings`: this test's database, the tiny models."""
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("HANDSOFF_DEVICE", "cpu")
    return database_url


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic benchmark (4 sessions of 1-3 turns, 64 px), written once."""
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    out = tmp_path_factory.mktemp("synthetic") / "bench"
    write_synthetic_benchmark(out, sessions=4, seed=3, size=64)
    return out


@pytest.fixture
def dataset(engine: Engine, synthetic_dir: Path) -> str:
    """The synthetic benchmark imported as dataset "syn"."""
    return import_synthetic(engine, synthetic_dir, name="syn")


@pytest.fixture
def cli_engine(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sqlite_template: Path,
    tiny_models_dir: Path,
    synthetic_dir: Path,
) -> Engine:
    """A migrated SQLite database with the synthetic dataset "syn", set as the CLI's."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("HANDSOFF_DEVICE", "cpu")
    engine = make_engine(url)
    import_synthetic(engine, synthetic_dir, name="syn")
    return engine
