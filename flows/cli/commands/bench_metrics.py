"""`handsoff bench metrics --profile tiny`: images/s of every metric, per batch size.

Each measurement scores `--items` edits of `--size` px (with source, target, mask and
captions) with one metric, after one untimed warm-up call, and reports edits per second. A
model-based metric embeds two images per edit (edit and target) for CLIP-I and DINO, one
image and two captions for CLIP-T; model-free metrics do not batch, so they run once.
`--full-size` swaps the profile's metric models for the real architectures with random
weights (CLIP ViT-B/32, DINO ViT-S/16, MiniLM-L6): the cost of the paper's models.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups
    from handsoff_core.metrics import EditToScore


def _bench_items(count: int, size: int, seed: int) -> list[EditToScore]:
    """Photo-sized edits with every input a metric can use (random pixels: cost, not meaning)."""
    import numpy as np
    from PIL import Image

    from handsoff_core.metrics import EditToScore

    rng = np.random.default_rng(seed)

    def image() -> Image.Image:
        return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8), mode="RGB")

    mask = Image.new("L", (size, size))
    mask.paste(255, (size // 4, size // 4, size // 2, size // 2))
    return [
        EditToScore(
            item_id=f"bench-{i}",
            edit=image(),
            source=image(),
            target=image(),
            mask=mask,
            global_caption=f"a photo of {i} dogs sitting on a red sofa in a living room",
            local_caption="a red sofa",
            generated_captions=[f"a photo of {i} cats sitting on a blue sofa"],
        )
        for i in range(count)
    ]


def _time_metric(
    items: list[EditToScore], models: Any, metric: str, batch_size: int, repeats: int
) -> float:
    """Edits per second of `metric` (best of `repeats`, after a warm-up)."""
    from handsoff_core.metrics import score_edits

    score_edits(
        items[: min(len(items), batch_size)], models, metrics=[metric], batch_size=batch_size
    )
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        score_edits(items, models, metrics=[metric], batch_size=batch_size)
        best = min(best, time.perf_counter() - started)
    return len(items) / best


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
        import torch

        from flows.cli.commands.score_images import load_metric_models
        from handsoff_core.metrics import ALL_METRICS, MODEL_FREE_METRICS

        try:
            sizes = sorted({int(b) for b in batch_sizes.split(",") if b.strip()})
        except ValueError:
            fail(f"--batch-sizes must be integers separated by commas, got {batch_sizes!r}")
        if not sizes or min(sizes) < 1:
            fail("--batch-sizes must be positive")
        models, _note, profile_name = load_metric_models(profile, device)
        if full_size:
            from handsoff_core.metrics.arch import full_size_metric_models

            models = full_size_metric_models(device=models.device, dtype=models.dtype)
            profile_name = f"{profile_name} (full-size architectures, random weights)"
        bench_items = _bench_items(items, size, seed=0)
        rows: list[dict[str, Any]] = []
        with console.status("benchmarking metrics", spinner="dots") if not as_json else _quiet():
            for metric in ALL_METRICS:
                for batch_size in [None] if metric in MODEL_FREE_METRICS else sizes:
                    rate = _time_metric(bench_items, models, metric, batch_size or 1, repeats)
                    rows.append({"metric": metric, "batch_size": batch_size, "edits_per_s": rate})
        header = {
            "profile": profile_name,
            "device": str(models.device),
            "dtype": str(models.dtype).removeprefix("torch."),
            "image_size": size,
            "items": items,
            "threads": torch.get_num_threads(),
            # Other processes' load slows every figure; print it so readers can judge.
            "load_average_1min": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
        if as_json:
            emit_json({**header, "results": rows})
            return
        from rich.table import Table

        table = Table(
            "metric", "batch", "edits/s", title=", ".join(f"{k} {v}" for k, v in header.items())
        )
        for row in rows:
            batch = "-" if row["batch_size"] is None else str(row["batch_size"])
            table.add_row(row["metric"], batch, f"{row['edits_per_s']:.1f}")
        console.print(table)


class _quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> None:
        return None
