"""`handsoff bench metrics --profile tiny`: images/s of every metric, per batch size
(flows/bench/metric_speed.py measures; this command loads the models and prints).

`--full-size` swaps the profile's metric models for the real architectures with random
weights (CLIP ViT-B/32, DINO ViT-S/16, MiniLM-L6): the cost of the paper's models.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups


def _batch_sizes(raw: str) -> list[int]:
    """`--batch-sizes 1,8,32` as [1, 8, 32] (sorted, no repeats); anything else ends the command."""
    try:
        sizes = sorted({int(b) for b in raw.split(",") if b.strip()})
    except ValueError:
        fail(f"--batch-sizes must be integers separated by commas, got {raw!r}")
    if not sizes or min(sizes) < 1:
        fail("--batch-sizes must be positive")
    return sizes


def register(groups: CommandGroups) -> None:
    @groups.bench.command("metrics")
    def bench_metrics(
        profile: Annotated[
            str | None, typer.Option("--profile", help="Model profile (default: settings).")
        ] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda...")] = None,
        items: Annotated[int, typer.Option("--items", min=1, help="Edits per measurement.")] = 16,
        size: Annotated[int, typer.Option("--size", min=16, help="Image size (px).")] = 512,
        batch_sizes: Annotated[
            str, typer.Option("--batch-sizes", help="Comma-separated batch sizes.")
        ] = "1,8,32",
        repeats: Annotated[int, typer.Option("--repeats", min=1)] = 1,
        full_size: Annotated[
            bool,
            typer.Option("--full-size", help="Full-size metric architectures, random weights."),
        ] = False,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Print images/s of every metric for each batch size."""
        from flows.bench.metric_speed import measure_metric_speed
        from flows.cli.commands.score_images import load_metric_models

        sizes = _batch_sizes(batch_sizes)
        models, _note, profile_name = load_metric_models(profile, device)
        if full_size:
            from handsoff_core.metrics.arch import full_size_metric_models

            models = full_size_metric_models(device=models.device, dtype=models.dtype)
            profile_name = f"{profile_name} (full-size architectures, random weights)"
        spinner = (
            contextlib.nullcontext()
            if as_json
            else console.status("benchmarking metrics", spinner="dots")
        )
        with spinner:
            measured = measure_metric_speed(
                models=models,
                profile=profile_name,
                items=items,
                size=size,
                batch_sizes=sizes,
                repeats=repeats,
            )
        if as_json:
            emit_json(measured.as_dict())
            return
        from rich.table import Table

        title = ", ".join(f"{k} {v}" for k, v in measured.header().items())
        table = Table("metric", "batch", "edits/s", title=title)
        for rate in measured.results:
            batch = "-" if rate.batch_size is None else str(rate.batch_size)
            table.add_row(rate.metric, batch, f"{rate.edits_per_s:.1f}")
        console.print(table)
