"""`handsoff study ...` and `handsoff app` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from db.engine import make_engine, session_scope
from db.models import Annotator, Image, Study
from db.queries.study import token_hash
from flows.cli.app import build_app
from tests.study.world import World, build_world

BASE_URL = "https://study.example.org"


@pytest.fixture
def cli_world(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_APP_BASE_URL", BASE_URL)
    engine = make_engine(sqlite_url)
    world = build_world(engine, samples=4)
    engine.dispose()
    return world


def invoke(*args: str) -> object:
    return CliRunner().invoke(build_app(), list(args))


def test_create_prints_each_personal_link_once_and_stores_only_hashes(
    cli_world: World, sqlite_url: str
) -> None:
    result = invoke(
        "study", "create", "--run", str(cli_world.run_id),
        "--methods", "handsoff,instruct-pix2pix", "--annotators", "alice,bob",
        "--overlap", "2", "--gold", "1", "--items", "3", "--seed", "4", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    created = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (created["items"], created["gold_items"], created["overlap"]) == (3, 1, 2)
    assert [a["name"] for a in created["annotators"]] == ["alice", "bob"]
    assert [a["assigned"] for a in created["annotators"]] == [4, 4]
    tokens = [a["link"].split("?token=")[1] for a in created["annotators"]]
    assert all(a["link"].startswith(f"{BASE_URL}/?token=") for a in created["annotators"])
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        stored = set(session.scalars(select(Annotator.token_hash)))
    engine.dispose()
    assert stored == {token_hash(token) for token in tokens}

    listed = json.loads(invoke("study", "list", "--json").stdout)  # type: ignore[attr-defined]
    assert [(s["name"], s["items"], s["gold_items"], s["annotators"]) for s in listed] == [
        (created["name"], 3, 1, 2)
    ]


def test_add_annotator_and_revoke(cli_world: World) -> None:
    invoke("study", "create", "--run", str(cli_world.run_id), "--methods",
           "handsoff,instruct-pix2pix", "--name", "pilot")  # fmt: skip
    added = invoke("study", "add-annotator", "--study", "pilot", "--name", "carol", "--json")
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    link = json.loads(added.stdout)  # type: ignore[attr-defined]
    assert link["name"] == "carol" and link["assigned"] == 4
    revoked = invoke("study", "revoke", "--study", "pilot", "--name", "carol")
    assert "link revoked" in revoked.output  # type: ignore[attr-defined]
    again = invoke("study", "revoke", "--study", "pilot", "--name", "carol")
    assert "already revoked" in again.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["study", "create", "--run", "99", "--methods", "handsoff,instruct-pix2pix"], "no run"),
        (["study", "create", "--run", "1", "--methods", "handsoff,nope"], "no method config"),
        (["study", "add-annotator", "--study", "ghost", "--name", "x"], "no study 'ghost'"),
        (["study", "revoke", "--study", "1", "--name", "x"], "no study '1'"),
    ],
)
def test_bad_input_is_a_clear_message_and_exit_status_1(
    cli_world: World, args: list[str], message: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert message in " ".join(result.output.split())  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def test_app_runs_streamlit_locked_down_on_the_configured_address(
    cli_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setenv("HANDSOFF_APP_PORT", "8765")
    monkeypatch.setattr("os.execv", lambda path, argv: calls.append(argv))
    result = invoke("app")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    (argv,) = calls
    assert argv[1:4] == ["-m", "streamlit", "run"]
    assert argv[4].endswith("annotation_app/app.py") and Path(argv[4]).is_file()
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--client.showErrorDetails"] == "none"
    assert options["--client.toolbarMode"] == "viewer"
    assert "admin page stays disabled" in " ".join(result.output.split())  # type: ignore[attr-defined]


def test_bench_app_counts_every_request_and_cleans_up(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    result = invoke("bench", "app", "--annotators", "3", "--items", "2", "--size", "16", "--json")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    figures = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert (figures["backend"], figures["items_answered"]) == ("sqlite", 6)
    counts = {name: op["count"] for name, op in figures["operations"].items()}
    assert counts == {"load_item": 6, "rerun": 21, "store_answer": 12, "preference": 6, "submit": 6}
    assert all(
        op["median_ms"] <= op["p95_ms"] <= op["max_ms"] for op in figures["operations"].values()
    )
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Study.id))) == 0
        assert session.scalar(select(func.count(Image.sha256))) == 0
    engine.dispose()
