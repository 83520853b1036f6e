"""The `handsoff` Typer application.

Commands live one group per module under `flows.cli.commands`; each module defines
`register(cli: CommandGroups) -> None` and is discovered here, so adding a command never
means editing this file. Heavy imports (torch, diffusers, prefect) happen inside commands,
so `handsoff --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import typer

from flows.cli import commands


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
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(groups)
    return root


def main() -> None:
    build_app()()
