"""`handsoff run | runs | score`: clear messages and non-zero exits on bad input, nothing
written; one real run through Prefect with JSON output."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from db.engine import session_scope
from db.models import Edit, MethodConfig, Run
from tests.flows.helpers import invoke_cli


def _counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Run, MethodConfig, Edit)
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nope", "--methods", "identity"], "no dataset named 'nope'"),
        (["--dataset", "syn", "--methods", "identity,warp"], "unknown method(s) 'warp'"),
        (["--dataset", "syn", "--methods", "identity", "--profile", "huge"], "unknown profile"),
        (
            [
                "--dataset",
                "syn",
                "--methods",
                "instruct-pix2pix",
                "--param",
                "instruct-pix2pix.x=1",
            ],
            "unknown parameter(s) 'x'",
        ),
        (["--dataset", "syn", "--methods", "identity", "--param", "oops"], "METHOD.NAME=VALUE"),
        (["--dataset", "syn", "--methods", "identity", "--weights", "a"], "'a' is not a number"),
        (["--dataset", "syn", "--methods", "identity", "--dispatch", "ssh"], "--dispatch 'ssh'"),
        (["--resume", "99"], "no run with id 99"),
        (["--methods", "identity"], "--dataset is required"),
    ],
)
def test_run_refuses_bad_input_and_writes_nothing(
    cli_engine: Engine, args: list[str], message: str
) -> None:
    before = _counts(cli_engine)
    code, output = invoke_cli("run", *args)
    assert code == 1
    assert message in " ".join(output.split())
    assert _counts(cli_engine) == before


def test_score_and_runs_of_nothing(cli_engine: Engine) -> None:
    code, output = invoke_cli("score", "--run", "3")
    assert code == 1 and "no run with id 3 (there are no runs yet)" in output
    code, output = invoke_cli("score", "--run", "3", "--metrics", "l1,fid")
    assert code == 1 and "unknown metric(s) ['fid']" in output
    code, output = invoke_cli("runs")
    assert code == 0 and "no runs yet" in output


@pytest.mark.usefixtures("prefect_harness")
def test_run_through_prefect_then_list(cli_engine: Engine) -> None:
    code, output = invoke_cli(
        "run", "--dataset", "syn", "--methods", "identity", "--limit", "2", "--no-score", "--json"
    )
    assert code == 0, output
    payload = json.loads(output)
    assert (payload["status"], payload["planned"], payload["done"]) == ("completed", 4, 4)
    assert [config["method"] for config in payload["configs"]] == ["identity", "ground-truth"]
    code, output = invoke_cli("runs", "--json")
    (run,) = json.loads(output)
    assert (run["id"], run["status"], run["counts"]["done"], run["edits_created"]) == (
        payload["run_id"],
        "completed",
        4,
        4,
    )
    code, output = invoke_cli("score", "--run", str(payload["run_id"]), "--metrics", "l1", "--json")
    assert code == 0, output
    scored = json.loads(output)
    assert scored["score"]["scored"] == 4
    truth = next(label for label in scored["metric_means"] if label.startswith("ground-truth"))
    assert scored["metric_means"][truth]["l1"] == pytest.approx(0.0, abs=1e-9)
