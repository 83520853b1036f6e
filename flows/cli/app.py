"""The `handsoff` Typer application.

Commands live one group per module under `flows.cli.commands`; each module defines
`register(groups: CommandGroups) -> None` and is named in `COMMAND_MODULES`
(flows/cli/commands/__init__.py), the one list of what the CLI offers. Heavy imports (torch,
diffusers, prefect) happen inside commands, so `handsoff --help` stays fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass

import typer

from flows.cli import commands
from flows.cli.common import console, get_settings, literal
from flows.cli.errors import explain
from flows.cli.watchdog import start_watchdog


@dataclass(frozen=True)
class CommandGroups:
    """The root application and the sub-command groups modules may add to."""

    root: typer.Typer
    db: typer.Typer
    data: typer.Typer
    models: typer.Typer
    study: typer.Typer
    bench: typer.Typer


def build_app() -> typer.Typer:
    root = typer.Typer(
        name="handsoff",
        help="Hands-off: training-free instruction-guided image editing, evaluated.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    groups = CommandGroups(
        root=root,
        db=typer.Typer(help="Database schema: upgrade, downgrade, current.", no_args_is_help=True),
        data=typer.Typer(help="Datasets: import, synthesise, list.", no_args_is_help=True),
        models=typer.Typer(help="Model profiles: build tiny models, check.", no_args_is_help=True),
        study=typer.Typer(help="Human studies: create, annotators, list.", no_args_is_help=True),
        bench=typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True),
    )
    root.add_typer(groups.db, name="db")
    root.add_typer(groups.data, name="data")
    root.add_typer(groups.models, name="models")
    root.add_typer(groups.study, name="study")
    root.add_typer(groups.bench, name="bench")
    for name in commands.COMMAND_MODULES:
        importlib.import_module(f"{commands.__name__}.{name}").register(groups)
    return root


def _debug_requested(argv: list[str]) -> bool:
    return "--debug" in argv or os.environ.get("HANDSOFF_DEBUG", "") not in ("", "0", "false")


def _where() -> str:
    """The database a failure most likely concerns, as safe to print (password hidden)."""
    try:
        return get_settings().redacted_url()
    except Exception:
        return "(the configured database)"


def main(argv: list[str] | None = None) -> None:
    """The error boundary: known failures become one line and a distinct exit code
    (flows/cli/errors.py); anything else, and everything under --debug, a traceback."""
    if argv is None:  # the process's entry point: its helpers must not outlive it
        start_watchdog()
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    if "--debug" in args:
        args.remove("--debug")
    try:
        # Click handles usage errors, Ctrl-C and typer.Exit itself (SystemExit passes).
        build_app()(args=args, prog_name="handsoff")
    except Exception as error:
        if debug:
            raise
        known = explain(error, where=_where())
        if known is None:
            raise
        console.print(f"[bold red]error:[/] {literal(known.message)}")
        sys.exit(int(known.code))
