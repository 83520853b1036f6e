"""Inside a Prefect flow run the report becomes a markdown artifact (`report-run-<id>`).

Runs the `report` flow in a child process with its own Prefect home and embedded server, so
it neither needs nor disturbs the flow tests' session harness; slow (the embedded server's
first start runs its migrations).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from db.engine import make_engine, session_scope
from db.models import MethodConfig
from flows.bench.synthetic_run import SyntheticSpec, populate_synthetic_evaluation

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from prefect.artifacts import Artifact
    from flows.orchestration.report import report_flow

    url, run_id, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    result = report_flow(run_id, out_dir=out, database_url=url)
    artifact = Artifact.get(f"report-run-{run_id}")
    print(json.dumps({"result": result, "markdown": artifact.data if artifact else None}))
    """
)


@pytest.mark.slow
def test_report_flow_publishes_a_markdown_artifact(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "report.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    evaluation = populate_synthetic_evaluation(engine, SyntheticSpec(samples=6, weights=(1.0,)))
    with session_scope(engine) as session:
        first = session.get(MethodConfig, 1)
        assert first is not None
        label = first.label  # e.g. "handsoff@021a1040 w=1"
    engine.dispose()
    environment = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": "",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "WARNING",
    }
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(evaluation.run_id), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    payload = json.loads(completed.stdout.strip().splitlines()[-1])
    assert payload["result"]["artifact"] is not None
    markdown = payload["markdown"]
    assert markdown.startswith(f"# Hands-off evaluation report: run {evaluation.run_id}")
    assert label.startswith("handsoff@")
    assert f"| 1 | {label} | method | 6 |" in markdown  # config 1: six samples
    assert "**Mean per method config (paper style)**" in markdown
    assert (tmp_path / "out" / "report.html").exists()
