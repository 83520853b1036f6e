"""`handsoff data make-synthetic OUT`: write the synthetic benchmark (MagicBrush test layout)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def make_synthetic(
    out: Path = typer.Argument(..., help="Folder to write (created; must be empty)."),
    sessions: int = typer.Option(
        535, "--sessions", min=1, help="Editing sessions (535 = MagicBrush test size)."
    ),
    seed: int = typer.Option(0, "--seed", help="Same seed, byte-identical files."),
    size: int = typer.Option(512, "--size", min=32, help="Image side in pixels."),
    workers: int = typer.Option(
        0, "--workers", min=0, help="Processes drawing sessions; 0 = one per CPU core."
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace OUT if it holds an earlier synthetic benchmark."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
) -> None:
    """Write a synthetic benchmark: drawn scenes, MagicBrush-kind instructions, exact masks,
    ground-truth targets and descriptions, 1 to 3 turns per session."""
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from handsoff_core.data.synthetic import turn_counts, write_synthetic_benchmark

    total_turns = sum(turn_counts(sessions, seed))
    started = time.perf_counter()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("turns", total=total_turns)
        try:
            summary = write_synthetic_benchmark(
                out,
                sessions=sessions,
                seed=seed,
                size=size,
                workers=workers or (os.cpu_count() or 1),
                overwrite=overwrite,
                progress=lambda turns: progress.advance(task, turns),
            )
        except FileExistsError as exc:
            fail(f"{exc}" + ("" if overwrite else " (use --overwrite to replace an earlier one)"))
        except ValueError as exc:
            fail(str(exc))
    seconds = time.perf_counter() - started
    if as_json:
        emit_json(
            {
                "out": str(summary.out),
                "sessions": summary.sessions,
                "turns": summary.turns,
                "images": summary.images,
                "kinds": summary.kinds,
                "seed": seed,
                "size": size,
                "seconds": round(seconds, 2),
            }
        )
    else:
        console.print(
            f"wrote {summary.sessions} sessions, {summary.turns} turns, {summary.images} images "
            f"to {summary.out} in {seconds:.1f} s (seed {seed}); import with "
            f"`handsoff data import {summary.out} --name NAME`"
        )


def register(groups: CommandGroups) -> None:
    groups.data.command("make-synthetic")(make_synthetic)
