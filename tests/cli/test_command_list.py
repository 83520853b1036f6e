"""The CLI registers exactly the command modules of flows/cli/commands, from one list."""

from __future__ import annotations

import pkgutil

from typer.main import get_command

from flows.cli import commands
from flows.cli.app import build_app


def test_command_modules_names_every_module_once() -> None:
    present = {module.name for module in pkgutil.iter_modules(commands.__path__)}
    assert sorted(commands.COMMAND_MODULES) == sorted(present)
    assert len(set(commands.COMMAND_MODULES)) == len(commands.COMMAND_MODULES)


def test_every_listed_module_adds_a_command() -> None:
    root = get_command(build_app())
    names = set(root.commands)  # type: ignore[attr-defined]
    assert {"run", "runs", "score", "report", "study", "bench", "db", "data"} <= names
    bench = root.commands["bench"]  # type: ignore[attr-defined]
    assert {"edit", "flow", "import", "metrics", "report", "app"} <= set(bench.commands)
