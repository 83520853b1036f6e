"""Creating runs: every bad input refused with a clear message and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from db.engine import session_scope
from db.models import MethodConfig, Run, RunMethodConfig
from db.queries.datasets import get_or_create_dataset
from db.queries.runs import RunNotFound, get_run, list_runs, run_method_configs
from flows.runs.request import RunRequest, RunRequestError, create_run, resolve_configs
from handsoff_core.errors import ConfigError
from handsoff_core.methods.registry import default_config


def _row_counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Run)) or 0,
            session.scalar(select(func.count()).select_from(RunMethodConfig)) or 0,
            session.scalar(select(func.count()).select_from(MethodConfig)) or 0,
        )


def test_run_records_configs_with_the_oracles(engine: Engine, dataset: str) -> None:
    run_id = create_run(
        engine=engine,
        request=RunRequest(dataset=dataset, methods=["identity"], profile="tiny", seed=7, limit=3),
        provenance={"git": {"sha": "abc"}},
    )
    with session_scope(engine) as session:
        run = get_run(session=session, run_id=run_id)
        configs = run_method_configs(session=session, run_id=run_id)
        assert (run.profile, run.seed, run.setting, run.status) == (
            "tiny",
            7,
            "single-turn",
            "pending",
        )
        assert run.selection == {"limit": 3}
        assert run.provenance == {"git": {"sha": "abc"}}
    assert [config.method for config in configs] == ["identity", "ground-truth"]
    assert configs[1].config_hash == default_config("ground-truth").config_hash()


def test_same_config_is_stored_once_across_runs(engine: Engine, dataset: str) -> None:
    request = RunRequest(dataset=dataset, methods=["identity"], profile="tiny")
    first = create_run(engine=engine, request=request)
    second = create_run(engine=engine, request=request)
    assert second == first + 1
    assert _row_counts(engine) == (2, 4, 2)
    with session_scope(engine) as session:
        summaries = list_runs(session=session)
    assert [summary.id for summary in summaries] == [second, first]
    assert summaries[0].methods == ["identity", "ground-truth"]


def test_weights_expand_only_methods_with_a_weight() -> None:
    request = RunRequest(
        dataset="x", methods=["handsoff", "identity"], weights=[0.75, 1.0, 1.25], profile="tiny"
    )
    configs = resolve_configs(request)
    assert [(c.method, c.params.get("weight")) for c in configs] == [
        ("handsoff", 0.75),
        ("handsoff", 1.0),
        ("handsoff", 1.25),
        ("identity", None),
        ("ground-truth", None),
    ]
    with pytest.raises(RunRequestError, match=r"none of .* has a 'weight' parameter"):
        resolve_configs(RunRequest(dataset="x", methods=["identity"], weights=[1.0]))


@pytest.mark.parametrize(
    ("request_fields", "error", "message"),
    [
        ({"dataset": "nope"}, RunRequestError, "no dataset named 'nope'; known datasets: syn"),
        ({"methods": ["identity", "dall-e"]}, RunRequestError, "unknown method.*'dall-e'"),
        ({"methods": []}, RunRequestError, "no method given"),
        ({"profile": "huge"}, RunRequestError, "unknown profile 'huge'"),
        ({"setting": "two-turn"}, RunRequestError, "unknown setting 'two-turn'"),
        ({"limit": 0}, RunRequestError, "--limit must be at least 1"),
        ({"sample_ids": ["missing-1"]}, RunRequestError, "no sample.*'missing-1'"),
        (
            {"params": {"instruct-pix2pix": {"steps": 3}}, "methods": ["instruct-pix2pix"]},
            ConfigError,
            "unknown parameter.*'steps'",
        ),
        (
            {
                "params": {"instruct-pix2pix": {"guidance_scale": "high"}},
                "methods": ["instruct-pix2pix"],
            },
            ConfigError,
            "expected a number",
        ),
        ({"params": {"handsoff": {"weight": 1.0}}}, RunRequestError, "not in the run"),
    ],
)
def test_bad_requests_write_nothing(
    engine: Engine,
    dataset: str,
    request_fields: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    fields: dict[str, object] = {"dataset": dataset, "methods": ["identity"], "profile": "tiny"}
    fields.update(request_fields)
    before = _row_counts(engine)
    with pytest.raises(error, match=message):
        create_run(engine=engine, request=RunRequest(**fields))  # type: ignore[arg-type]
    assert _row_counts(engine) == before


def test_empty_dataset_is_refused(engine: Engine) -> None:
    with session_scope(engine) as session:
        get_or_create_dataset(
            session=session, name="empty", source_format="jsonl", source_path=None
        )
    with pytest.raises(RunRequestError, match="dataset 'empty' has no samples"):
        create_run(engine=engine, request=RunRequest(dataset="empty", methods=["identity"]))
    assert _row_counts(engine) == (0, 0, 0)


def test_unknown_run_id_names_the_latest(engine: Engine, dataset: str) -> None:
    with session_scope(engine) as session, pytest.raises(RunNotFound, match="there are no runs"):
        get_run(session=session, run_id=5)
    run_id = create_run(engine=engine, request=RunRequest(dataset=dataset, methods=["identity"]))
    with (
        session_scope(engine) as session,
        pytest.raises(RunNotFound, match=f"latest run is {run_id}"),
    ):
        get_run(session=session, run_id=run_id + 10)
