"""`handsoff demo`: the whole platform on a fresh machine, offline, in a few minutes.

1. make the synthetic benchmark (MagicBrush layout, drawn scenes, exact masks and targets);
2. import it as the dataset `synthetic-demo`;
3. evaluate Hands-off and InstructPix2Pix (plus the identity and ground-truth oracles) with
   the `tiny` profile on a few samples, through the Prefect flows;
4. score the edits;
5. run the extension steps (below), then print the summary and the next commands.

Extension steps
---------------
Other parts of the platform add steps without editing this file: a module
`flows/cli/demo_steps/<name>.py` that defines

    ORDER = 10                      # optional, default 100: lower runs first, ties by name
    def run(context: DemoContext) -> None: ...

is discovered (`demo_steps()`, in that order) and called after scoring. The context has the
settings, the engine, the console, the demo folder, the dataset name, the run id and its
digest; a step appends to `context.next_commands` the commands it wants printed at the
end and may leave values for later steps in `context.results` (e.g. a study id for the
report). Steps import heavy libraries inside `run`. A step that raises is reported by
name; the demo then exits non-zero after the remaining steps.
"""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, fail, get_settings, literal
from flows.runs.request import TINY_FAST_PARAMS

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine

    from db.settings import Settings
    from flows.cli.app import CommandGroups

DEMO_STEPS_PACKAGE = "flows.cli.demo_steps"
DEFAULT_ORDER = 100
DATASET = "synthetic-demo"
DEMO_METHODS = ("handsoff", "instruct-pix2pix")
# Fast settings for the tiny profile (see flows/runs/request.py), shared with `handsoff bench flow`.
DEMO_PARAMS: dict[str, dict[str, Any]] = TINY_FAST_PARAMS


@dataclass
class DemoContext:
    """What the demo made, handed to every extension step."""

    settings: Settings
    engine: Engine
    console: Console
    workdir: Path  # the demo's own folder (synthetic benchmark, outputs of steps)
    dataset: str
    run_id: int
    digest: dict[str, Any]  # the run's counts and metric means (RunDigest.as_dict())
    next_commands: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)  # values steps share by name
    as_json: bool = False


DemoStep = Callable[[DemoContext], None]


def demo_steps() -> list[tuple[str, DemoStep]]:
    """(name, run) of every module in `flows/cli/demo_steps/`, by (ORDER, name)."""
    package = importlib.import_module(DEMO_STEPS_PACKAGE)
    found: list[tuple[int, str, DemoStep]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{DEMO_STEPS_PACKAGE}.{info.name}")
        step = getattr(module, "run", None)
        if callable(step):
            found.append((int(getattr(module, "ORDER", DEFAULT_ORDER)), info.name, step))
    return [(name, step) for _, name, step in sorted(found, key=lambda item: item[:2])]


def _demo_params(methods: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """DEMO_PARAMS restricted to the parameters each method really has."""
    from handsoff_core.methods.registry import method_class

    params: dict[str, dict[str, Any]] = {}
    for method in methods:
        known = method_class(method).default_params(method)
        params[method] = {k: v for k, v in DEMO_PARAMS.get(method, {}).items() if k in known}
    return params


def register(groups: CommandGroups) -> None:
    @groups.root.command("demo")
    def demo_command(
        samples: Annotated[int, typer.Option("--samples", min=1, help="Samples to edit.")] = 8,
        size: Annotated[int, typer.Option("--size", min=64, help="Image size in pixels.")] = 256,
        sessions: Annotated[
            int, typer.Option("--sessions", min=1, help="Synthetic sessions to draw.")
        ] = 8,
        seed: Annotated[int, typer.Option("--seed")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", help="Show Prefect's logs.")] = False,
    ) -> None:
        """Synthetic benchmark -> import -> evaluate (tiny models) -> score -> next steps."""
        from flows.orchestration.server import quiet_prefect_console

        quiet_prefect_console(verbose)
        from flows.cli.commands.run import run_and_report
        from flows.cli.database import open_database
        from flows.importing import import_dataset_path
        from flows.runs.request import RunRequest, create_run
        from handsoff_core.data.synthetic import write_synthetic_benchmark

        started = time.perf_counter()
        settings = get_settings()
        workdir = settings.home / "demo"
        say = (lambda _text: None) if as_json else console.print
        # 1. the synthetic benchmark (deterministic: a rerun writes the same bytes)
        bench = workdir / f"synthetic-{size}px-seed{seed}-{sessions}"
        if not (bench / "edit_sessions.json").exists():
            say(f"[bold]1.[/] drawing {sessions} synthetic sessions ({size} px) in {bench}")
            write_synthetic_benchmark(
                bench, sessions=sessions, seed=seed, size=size, overwrite=True
            )
        else:
            say(f"[bold]1.[/] synthetic benchmark already in {bench}")
        # 2. import (idempotent)
        engine = open_database(settings)
        imported = import_dataset_path(engine=engine, path=bench, name=DATASET, format="magicbrush")
        say(
            f"[bold]2.[/] dataset {DATASET}: {imported.imported} imported, "
            f"{imported.skipped} already present"
        )
        # 3.-4. evaluate and score through the flows
        request = RunRequest(
            dataset=DATASET,
            methods=DEMO_METHODS,
            profile="tiny",
            seed=seed,
            limit=samples,
            params=_demo_params(DEMO_METHODS),
        )
        run_id = create_run(engine=engine, request=request, profiles_file=settings.profiles_file)
        say(
            f"[bold]3.[/] run {run_id}: {', '.join(DEMO_METHODS)} and the oracles on "
            f"{samples} samples, tiny profile (random weights: the images are noise)"
        )
        payload = run_and_report(
            engine,
            run_id,
            shards=1,
            dispatch="local",
            batch_size=4,
            use_sweeps=True,
            score_edits=True,
            device=None,
            as_json=as_json,
        )
        # 5. extension steps
        context = DemoContext(
            settings=settings,
            engine=engine,
            console=console,
            workdir=workdir,
            dataset=DATASET,
            run_id=run_id,
            digest=payload,
            next_commands=[
                "handsoff runs",
                f"handsoff score --run {run_id}",
                f"handsoff run --dataset {DATASET} --methods handsoff --profile tiny "
                f"--limit {samples} --weights 0.75,1.0,1.25",
            ],
            as_json=as_json,
        )
        failures = []
        for name, step in demo_steps():
            say(f"[bold]step[/] {name}")
            try:
                step(context)
            except Exception as error:
                failures.append(name)
                console.print(
                    f"[red]demo step {name} failed:[/] {type(error).__name__}: {literal(error)}"
                )
        seconds = time.perf_counter() - started
        if as_json:
            emit_json(
                {
                    "run_id": run_id,
                    "dataset": DATASET,
                    "seconds": round(seconds, 1),
                    "run": payload,
                    "results": context.results,
                    "next_commands": context.next_commands,
                    "failed_steps": failures,
                }
            )
        else:
            console.print(f"demo finished in {seconds:.0f} s. Next:")
            for command in context.next_commands:
                console.print(f"  {literal(command)}")
        if failures:
            fail(f"demo step(s) failed: {', '.join(failures)}")
