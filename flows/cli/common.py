"""Helpers shared by CLI commands: settings, errors as clean exits, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

from db.settings import Settings, load_settings

# Human-readable output goes to stderr so `--json` output on stdout stays parseable.
console = Console(stderr=True, soft_wrap=True)


def get_settings() -> Settings:
    return load_settings()


def fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str, sort_keys=False)
    sys.stdout.write("\n")
