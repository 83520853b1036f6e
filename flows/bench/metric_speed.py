"""Edits per second of every registered metric, per batch size.

Each measurement scores `items` edits of `size` px (with source, target, mask and captions)
with one metric, after one untimed warm-up call, and keeps the best of `repeats`. A
model-based metric embeds two images per edit (edit and target) for CLIP-I and DINO, one
image and two captions for CLIP-T; model-free metrics do not batch, so they run once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handsoff_core.metrics import EditToScore, MetricModels


@dataclass(frozen=True)
class MetricRate:
    metric: str
    batch_size: int | None  # None: a model-free metric, which does not batch
    edits_per_s: float


@dataclass(frozen=True)
class MetricSpeed:
    profile: str
    device: str
    dtype: str
    image_size: int
    items: int
    threads: int
    # Other processes' load slows every figure; reported so readers can judge.
    load_average_1min: float
    cpus: int | None
    results: list[MetricRate]

    def header(self) -> dict[str, Any]:
        """Everything but the rates: what the figures were measured on."""
        return {
            "profile": self.profile,
            "device": self.device,
            "dtype": self.dtype,
            "image_size": self.image_size,
            "items": self.items,
            "threads": self.threads,
            "load_average_1min": self.load_average_1min,
            "cpus": self.cpus,
        }

    def as_dict(self) -> dict[str, Any]:
        """The figures as `handsoff bench metrics --json` prints them."""
        return {
            **self.header(),
            "results": [
                {"metric": r.metric, "batch_size": r.batch_size, "edits_per_s": r.edits_per_s}
                for r in self.results
            ],
        }


def bench_items(count: int, size: int, seed: int) -> list[EditToScore]:
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


def _edits_per_second(
    items: list[EditToScore], models: MetricModels, metric: str, batch_size: int, repeats: int
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


def measure_metric_speed(
    *,
    models: MetricModels,
    profile: str,
    items: int,
    size: int,
    batch_sizes: list[int],
    repeats: int = 1,
) -> MetricSpeed:
    """Edits/s of every registered metric on `models`, for each of `batch_sizes`."""
    import torch

    from handsoff_core.metrics import ALL_METRICS, MODEL_FREE_METRICS

    edits = bench_items(items, size, seed=0)
    rates = []
    for metric in ALL_METRICS:
        for batch_size in [None] if metric in MODEL_FREE_METRICS else batch_sizes:
            rate = _edits_per_second(edits, models, metric, batch_size or 1, repeats)
            rates.append(MetricRate(metric, batch_size, rate))
    return MetricSpeed(
        profile=profile,
        device=str(models.device),
        dtype=str(models.dtype).removeprefix("torch."),
        image_size=size,
        items=items,
        threads=torch.get_num_threads(),
        load_average_1min=round(os.getloadavg()[0], 2),
        cpus=os.cpu_count(),
        results=rates,
    )
