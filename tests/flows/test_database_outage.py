"""Database outage: PostgreSQL restarted in the middle of an `evaluate` flow; the run
completes after retries with every edit exactly once. Uses a PostgreSQL of its own (on a
free port) so the shared test server is never restarted. Slow, but run in CI."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.migrate import upgrade
from db.models import Edit
from db.queries.edits import duplicate_edit_keys, orphan_images
from db.queries.runs import get_run
from flows.runs.request import RunRequest, create_run
from tests.flows.helpers import import_synthetic
from tests.flows.processes import postgres_binaries, throwaway_postgres, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(postgres_binaries() is None, reason="PostgreSQL server binaries absent"),
]


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _edit_count(engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            return int(session.scalar(select(func.count()).select_from(Edit)) or 0)
    except Exception:  # the server is restarting
        return -1


@pytest.mark.usefixtures("prefect_harness")
def test_run_completes_across_a_postgres_restart(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_models_dir: Path,
) -> None:
    from flows.orchestration.evaluate import evaluate
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    root = Path(f"/tmp/handsoff-pg-outage-{uuid.uuid4().hex[:8]}")
    bench = tmp_path_factory.mktemp("outage") / "bench"
    write_synthetic_benchmark(bench, sessions=60, seed=11, size=64)
    with throwaway_postgres(root) as (url, restart):
        upgrade(url)
        monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
        monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
        monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
        monkeypatch.setenv("HANDSOFF_DEVICE", "cpu")
        engine = make_engine(url)
        import_synthetic(engine, bench, name="outage")
        run_id = create_run(
            engine=engine, request=RunRequest(dataset="outage", methods=["identity"])
        )
        outcome: dict[str, Any] = {}

        def run_flow() -> None:
            try:
                outcome["result"] = evaluate(run_id, batch_size=2)
            except BaseException as error:  # reported by the assertions below
                outcome["error"] = error

        # Prefect's logging setup bypasses caplog: listen on the retry logger directly.
        retries: list[str] = []
        listener = _Collect(retries)
        logging.getLogger("flows.retry").addHandler(listener)
        flow_thread = threading.Thread(target=run_flow, name="evaluate-flow")
        flow_thread.start()
        wait_for(lambda: _edit_count(engine) > 0, timeout_s=300, what="first edit", every_s=0.02)
        restarted_at = time.monotonic()
        restart()
        at_restart = _edit_count(engine)
        flow_thread.join(timeout=600)
        assert not flow_thread.is_alive(), "the flow did not finish after the restart"
        assert "error" not in outcome, outcome.get("error")
        result = outcome["result"]
        assert result["status"] == "completed" and result["done"] == result["planned"]
        assert 0 < at_restart < result["planned"], "the restart did not fall mid-run"
        with session_scope(engine) as session:
            assert duplicate_edit_keys(session=session) == 0
            assert orphan_images(session=session) == []
            assert session.scalar(select(func.count()).select_from(Edit)) == result["planned"]
            assert get_run(session=session, run_id=run_id).status == "completed"
        logging.getLogger("flows.retry").removeHandler(listener)
        assert any("database unavailable" in message for message in retries), retries
        engine.dispose()
        assert time.monotonic() - restarted_at < 600
