"""`handsoff models make-tiny / check / list` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.app import build_app
from flows.cli.commands.models import EXIT_SOME_MISSING


@pytest.fixture
def cli_env(tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.delenv("HANDSOFF_PROFILES_FILE", raising=False)
    return tiny_models_dir


def test_make_tiny_keeps_built_models_and_check_finds_them(cli_env: Path) -> None:
    runner = CliRunner()
    app = build_app()
    made = runner.invoke(app, ["models", "make-tiny", str(cli_env), "--json"])
    assert made.exit_code == 0, made.output
    payload = json.loads(made.stdout)
    assert set(payload["models"]) >= {"sd", "blip", "llm", "ip2p", "magicbrush"}
    assert all(Path(entry["path"]).is_dir() for entry in payload["models"].values())

    checked = runner.invoke(app, ["models", "check", "--profile", "tiny", "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert report["ok"] and report["missing"] == [] and report["random_weights"]
    assert {role["role"] for role in report["roles"]} >= {"diffusion", "llm", "magicbrush"}


def test_check_names_what_is_missing_with_its_own_exit_status(cli_env: Path) -> None:
    result = CliRunner().invoke(build_app(), ["models", "check", "--profile", "paper", "--json"])
    assert result.exit_code == EXIT_SOME_MISSING
    report = json.loads(result.stdout)
    assert not report["ok"] and "llm" in report["missing"]
    llm = next(role for role in report["roles"] if role["role"] == "llm")
    assert llm["reference"] == "mistralai/Mistral-7B-Instruct-v0.2" and llm["kind"] == "hub"


def test_unknown_profile_and_bad_profiles_file_are_clean_errors(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    unknown = runner.invoke(build_app(), ["models", "check", "--profile", "nope"])
    assert unknown.exit_code == 1 and "unknown profile 'nope'" in unknown.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.x\n", encoding="utf-8")
    monkeypatch.setenv("HANDSOFF_PROFILES_FILE", str(bad))
    listed = runner.invoke(build_app(), ["models", "list"])
    assert listed.exit_code == 1 and "invalid TOML" in listed.output


def test_list_shows_builtin_profiles(cli_env: Path) -> None:
    result = CliRunner().invoke(build_app(), ["models", "list", "--json"])
    assert result.exit_code == 0, result.output
    names = [entry["name"] for entry in json.loads(result.stdout)]
    assert {"paper", "tiny", "sd14-arch"} <= set(names)
