"""One label per method config: the CLI's run output, the study and admin pages' queries and
the report all name a config by `MethodConfig.label`, the same string."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from db.engine import session_scope
from db.models import MethodConfig
from db.models.methods import config_label
from db.queries.study_admin import list_studies
from db.queries.study_items_admin import admin_item
from flows.report.assemble import build_report
from tests.flows.helpers import invoke_cli


def test_the_label_shows_the_method_the_hash_and_a_numeric_weight_only() -> None:
    digest = "1a2b3c4d" + "0" * 56
    assert config_label("handsoff", {"weight": 0.75, "steps": 50}, digest) == (
        "handsoff@1a2b3c4d w=0.75"
    )
    assert config_label("handsoff", {"weight": 1}, digest) == "handsoff@1a2b3c4d w=1"
    assert config_label("identity", {}, digest) == "identity@1a2b3c4d"
    assert config_label("odd", {"weight": True}, digest) == "odd@1a2b3c4d"
    assert config_label("odd", {"weight": "heavy"}, digest) == "odd@1a2b3c4d"


def test_one_config_has_one_label_in_the_cli_the_admin_page_and_the_report(
    cli_engine: Engine,
) -> None:
    code, output = invoke_cli(
        "run", "--dataset", "syn", "--methods", "identity", "--limit", "3", "--no-score", "--json"
    )
    assert code == 0, output
    run = json.loads(output)
    with session_scope(cli_engine) as session:
        expected = {c.method: c.label for c in session.scalars(select(MethodConfig))}
    assert set(expected) == {"identity", "ground-truth"}
    assert {c["method"]: c["label"] for c in run["configs"]} == expected

    code, output = invoke_cli("runs", "--json")
    assert code == 0, output
    (listed,) = json.loads(output)
    assert sorted(listed["counts"]["by_config"]) == sorted(expected.values())

    code, output = invoke_cli(
        "study",
        "create",
        "--run",
        str(run["run_id"]),
        "--methods",
        "identity,ground-truth",
        "--annotators",
        "ann",
        "--json",
    )
    assert code == 0, output
    with session_scope(cli_engine) as session:
        (study,) = list_studies(session=session)
        item = admin_item(session=session, study_id=study.id, number=1)
    assert list(study.methods) == [expected["identity"], expected["ground-truth"]]
    assert sorted(option.label for option in item.options) == sorted(expected.values())

    report = build_report(engine=cli_engine, run_id=run["run_id"], study_ids=[study.id])
    cells = {cell for table in report.tables() for row in table.rows for cell in row}
    assert set(expected.values()) <= cells
    # no other spelling of either config anywhere in the report's tables
    for method, label in expected.items():
        others = {c for c in cells if c.startswith(f"{method}") and c != label}
        assert not {c for c in others if "@" in c or " w=" in c}, (label, others)
