"""prefect.yaml (for `prefect deploy --all`) and `handsoff deploy` create the same
deployments, and every entrypoint names a Prefect flow that exists."""

from __future__ import annotations

import importlib

import yaml
from prefect import Flow

from flows import REPO_ROOT
from flows.orchestration.deploy import DEPLOYMENTS


def _yaml_deployments() -> list[tuple[str, str, str, str]]:
    config = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return [
        (d["entrypoint"], d["name"], d["work_pool"]["name"], d["description"])
        for d in config["deployments"]
    ]


def test_prefect_yaml_lists_exactly_the_deployments_of_handsoff_deploy() -> None:
    expected = [(d.entrypoint, d.name, d.pool, d.description) for d in DEPLOYMENTS]
    assert _yaml_deployments() == expected


def test_every_entrypoint_is_a_prefect_flow_under_orchestration() -> None:
    flow_names = set()
    for spec in DEPLOYMENTS:
        path, function = spec.entrypoint.split(":")
        assert path.startswith("flows/orchestration/"), spec.entrypoint
        assert (REPO_ROOT / path).is_file(), spec.entrypoint
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, function)
        assert isinstance(flow, Flow), spec.entrypoint
        flow_names.add(flow.name)
    assert flow_names == {
        "evaluate-shard",
        "score",
        "evaluation-pipeline",
        "import-dataset",
        "report",
    }
