"""`handsoff study ...` and `handsoff app` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from db.engine import make_engine, session_scope
from db.models import Annotator, Study
from db.queries.study import token_hash
from db.queries.study_admin import judgments_csv
from db.queries.study_annotators import AccessProblem, AnnotatorAccess, authenticate
from db.queries.study_guidelines import MAX_GUIDELINES_BYTES
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


def invoke(*args: str) -> Any:
    return CliRunner().invoke(build_app(), list(args))


def create(world: World, *extra: str) -> Any:
    return invoke("study", "create", "--run", str(world.run_id),
                  "--methods", "handsoff,instruct-pix2pix", *extra)  # fmt: skip


def one_line(result: Any) -> str:
    return " ".join(result.output.split())


def test_create_prints_each_personal_link_once_and_stores_only_hashes(
    cli_world: World, sqlite_url: str
) -> None:
    result = invoke(
        "study", "create", "--run", str(cli_world.run_id),
        "--methods", "handsoff,instruct-pix2pix", "--annotators", "alice,bob",
        "--overlap", "2", "--gold", "1", "--items", "3", "--seed", "4", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
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

    listed = json.loads(invoke("study", "list", "--json").stdout)
    assert [(s["name"], s["items"], s["gold_items"], s["annotators"]) for s in listed] == [
        (created["name"], 3, 1, 2)
    ]


def test_add_annotator_and_revoke(cli_world: World) -> None:
    invoke("study", "create", "--run", str(cli_world.run_id), "--methods",
           "handsoff,instruct-pix2pix", "--name", "pilot")  # fmt: skip
    added = invoke("study", "add-annotator", "--study", "pilot", "--name", "carol", "--json")
    assert added.exit_code == 0, added.output
    link = json.loads(added.stdout)
    assert link["name"] == "carol" and link["assigned"] == 4
    revoked = invoke("study", "revoke", "--study", "pilot", "--name", "carol")
    assert "link revoked" in revoked.output
    again = invoke("study", "revoke", "--study", "pilot", "--name", "carol")
    assert "already revoked" in again.output


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
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_app_runs_streamlit_locked_down_on_the_configured_address(
    cli_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setenv("HANDSOFF_APP_PORT", "8765")
    monkeypatch.setattr("os.execv", lambda path, argv: calls.append(argv))
    result = invoke("app")
    assert result.exit_code == 0, result.output
    (argv,) = calls
    assert argv[1:4] == ["-m", "streamlit", "run"]
    assert argv[4].endswith("annotation_app/app.py") and Path(argv[4]).is_file()
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8765"
    assert options["--client.showErrorDetails"] == "none"
    assert options["--client.toolbarMode"] == "viewer"
    assert "admin page stays disabled" in " ".join(result.output.split())


def stored_study(sqlite_url: str) -> Study:
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        study = session.scalars(select(Study)).one()
        session.expunge(study)
    engine.dispose()
    return study


def access(sqlite_url: str, token: str) -> AnnotatorAccess | AccessProblem:
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        found = authenticate(session=session, token=token)
    engine.dispose()
    return found


def test_links_come_first_and_names_print_literally(cli_world: World) -> None:
    names = ["[bold]x[/]", "tab[/]", "esc\x1b[31mred"]
    result = create(cli_world, "--annotators", ",".join(names), "--name", "[red]s[/red]")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    link_lines = [i for i, line in enumerate(lines) if "/?token=" in line]
    summary = next(i for i, line in enumerate(lines) if line.startswith("study "))
    assert len(link_lines) == 3 and max(link_lines) < summary  # every link before the rest
    assert "[bold]x[/]" in lines[link_lines[0]] and "tab[/]" in lines[link_lines[1]]
    assert "esc\\x1b[31mred" in lines[link_lines[2]] and "\x1b[31m" not in result.output
    assert "[red]s[/red]" in lines[summary]
    listed = CliRunner().invoke(build_app(), ["study", "list"], env={"COLUMNS": "300"})
    assert listed.exit_code == 0 and "[red]s[/red]" in listed.output
    revoked = invoke("study", "revoke", "--study", "[red]s[/red]", "--name", "tab[/]")
    assert revoked.exit_code == 0 and "tab[/]: link revoked" in revoked.output


def test_the_blinding_secret_is_never_printed_or_exported(
    cli_world: World, sqlite_url: str
) -> None:
    outputs = [
        create(cli_world, "--annotators", "alice", "--json").output,
        invoke("study", "list", "--json").output,
        invoke("study", "add-annotator", "--study", "1", "--name", "bob").output,
        invoke("study", "reissue-link", "1", "alice").output,
    ]
    secret = stored_study(sqlite_url).blinding_secret
    assert secret is not None and len(secret) == 64
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        outputs.append(judgments_csv(session=session, study_id=1))
    engine.dispose()
    assert all(secret not in output and secret[:16] not in output for output in outputs)
    assert json.loads(outputs[0])["seed"] is None


def test_seed_is_documented_as_predictable(cli_world: World, sqlite_url: str) -> None:
    result = create(cli_world, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "predictable to whoever knows the seed" in one_line(result)
    study = stored_study(sqlite_url)
    assert (study.seed, study.blinding_secret) == (3, None)
    help_text = " ".join(invoke("study", "create", "--help").output.replace("│", " ").split())
    assert "predictable to whoever knows the seed" in help_text


def test_guidelines_from_a_file_at_creation_and_later(
    cli_world: World, sqlite_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "guide.md"
    first.write_text("\ufeff# Judge the edit, not the photo\n\n*Example*: …\n", encoding="utf-8")
    result = create(cli_world, "--name", "pilot", "--guidelines", str(first))
    assert result.exit_code == 0, result.output
    assert (
        stored_study(sqlite_url).guidelines == "# Judge the edit, not the photo\n\n*Example*: …\n"
    )
    second = tmp_path / "second.md"
    second.write_text("stricter", encoding="utf-8")
    changed = invoke("study", "guidelines", "pilot", "--file", str(second))
    assert changed.exit_code == 0, changed.output
    assert "guidelines set" in changed.output and stored_study(sqlite_url).guidelines == "stricter"
    cleared = invoke("study", "guidelines", "1", "--clear")
    assert cleared.exit_code == 0 and stored_study(sqlite_url).guidelines is None
    for args in ([], ["--clear", "--file", str(second)]):
        refused = invoke("study", "guidelines", "pilot", *args)
        assert refused.exit_code == 1 and "either --file FILE or --clear" in one_line(refused)


BAD_GUIDELINES = {
    "missing": ("does not exist", None),
    "folder": ("is a directory, not a file", None),
    "unreadable": ("cannot be read: Permission denied", b"fine"),
    "latin1.md": ("is not UTF-8 text (byte 0xe9 at offset 3)", "caf\u00e9".encode("latin-1")),
    "big.md": (f"is {MAX_GUIDELINES_BYTES + 1} bytes; guidelines are at most 1 MiB",
               b"x" * (MAX_GUIDELINES_BYTES + 1)),
    "nul.md": ("contains a NUL character at character 2", b"ab\x00"),
    "blank.md": ("is empty", b" \n\n"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(BAD_GUIDELINES))
def test_a_bad_guidelines_file_is_one_line_and_writes_nothing(
    cli_world: World, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    message, content = BAD_GUIDELINES[kind]
    path = tmp_path / kind
    if kind == "folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    if kind == "unreadable":  # chmod 000 would not stop root, so the open itself is refused
        real_open = Path.open

        def refusing_open(self: Path, *args: Any, **kwargs: Any) -> Any:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", refusing_open)
    (tmp_path / "kept.md").write_text("kept", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert create(cli_world, "--name", "pilot", "--guidelines", "kept.md").exit_code == 0

    for args in (
        ["study", "create", "--run", str(cli_world.run_id), "--methods",
         "handsoff,instruct-pix2pix", "--annotators", "alice", "--guidelines", str(path)],
        ["study", "guidelines", "pilot", "--file", str(path)],
    ):  # fmt: skip
        result = invoke(*args)
        assert result.exit_code == 1, result.output
        assert result.output.count("\n") == 1 and "Traceback" not in result.output
        assert f"error: guidelines file '{path}' {message}" in one_line(result)
    engine = make_engine(sqlite_url)
    with session_scope(engine) as session:
        assert session.scalars(select(Study.guidelines)).all() == ["kept"]  # nothing else
        assert session.scalars(select(Annotator.name)).all() == []
    engine.dispose()


def test_reissue_link_replaces_the_token_of_the_same_annotator(
    cli_world: World, sqlite_url: str
) -> None:
    created = json.loads(create(cli_world, "--annotators", "alice,bob", "--json").stdout)
    old = created["annotators"][0]["link"].split("?token=")[1]
    before = access(sqlite_url, old)
    result = invoke("study", "reissue-link", created["name"], "alice", "--json")
    assert result.exit_code == 0, result.output
    link = json.loads(result.stdout)
    assert link["name"] == "alice" and link["assigned"] == created["annotators"][0]["assigned"]
    assert link["link"].startswith(f"{BASE_URL}/?token=")
    assert access(sqlite_url, old) is AccessProblem.UNKNOWN
    after = access(sqlite_url, link["link"].split("?token=")[1])
    assert isinstance(before, AnnotatorAccess) and after == before
    text = invoke("study", "reissue-link", "1", "alice")
    assert text.exit_code == 0 and "no longer works" in one_line(text)
    missing = invoke("study", "reissue-link", "1", "[b]mallory")
    assert missing.exit_code == 1 and "no annotator named '[b]mallory'" in one_line(missing)


def test_close_stops_every_link(cli_world: World, sqlite_url: str) -> None:
    created = json.loads(create(cli_world, "--annotators", "alice", "--json").stdout)
    token = created["annotators"][0]["link"].split("?token=")[1]
    assert "closed" in invoke("study", "close", "1").output
    assert access(sqlite_url, token) is AccessProblem.STUDY_CLOSED
    assert "already closed" in one_line(invoke("study", "close", created["name"]))
    assert invoke("study", "close", "ghost").exit_code == 1


@pytest.mark.parametrize(
    ("flags", "base_url", "shown"),
    [
        (["--port", "8765"], None, "http://127.0.0.1:8765"),
        (["--host", "::1", "--port", "8765"], None, "http://[::1]:8765"),
        (["--port", "8765"], "https://proxy.example.org/study/", "https://proxy.example.org/study"),
    ],
)
def test_app_prints_links_for_the_address_it_serves(
    cli_world: World,
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    base_url: str | None,
    shown: str,
) -> None:
    monkeypatch.delenv("HANDSOFF_APP_BASE_URL")
    if base_url is not None:
        monkeypatch.setenv("HANDSOFF_APP_BASE_URL", base_url)
    calls: list[list[str]] = []
    monkeypatch.setattr("os.execv", lambda path, argv: calls.append(argv))
    result = invoke("app", *flags)
    assert result.exit_code == 0, result.output
    (argv,) = calls
    assert dict(zip(argv[5::2], argv[6::2], strict=True))["--server.port"] == "8765"
    assert f"(links: {shown}/?token=..., admin: {shown}/admin)" in one_line(result)
    assert ":8501" not in result.output
