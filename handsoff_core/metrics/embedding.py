"""What the embedding metrics share: running a model in batches and the cosine of two vectors.

Cosines are computed in float64 from float32 embeddings, as MagicBrush does with
`1 - scipy.spatial.distance.cosine(...)`, and clipped to [-1, 1] (rounding can leave
1 + 1e-16 for identical inputs). A zero or non-finite embedding (e.g. a float16 overflow)
makes the metric not applicable, with the reason; it never yields NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from handsoff_core.metrics.not_applicable import NotApplicable

Item = TypeVar("Item")


def model_device_dtype(model: Any) -> tuple[torch.device, torch.dtype]:
    parameter = next(model.parameters())
    return parameter.device, parameter.dtype


@torch.no_grad()
def embed_in_batches(
    items: Sequence[Item], embed: Callable[[Sequence[Item]], torch.Tensor], batch_size: int
) -> torch.Tensor:
    """(N, D) float32 CPU embeddings of `items`, computed `batch_size` at a time."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    chunks = [
        embed(items[start : start + batch_size]).detach().to("cpu", torch.float32)
        for start in range(0, len(items), batch_size)
    ]
    if not chunks:
        return torch.empty(0, 0)
    return torch.cat(chunks)


def cosine_similarity(first: torch.Tensor, second: torch.Tensor, *, what: str) -> float:
    """Cosine of two (D,) embeddings in float64, in [-1, 1]; `what` names them in reasons."""
    a = first.detach().to("cpu").numpy().astype(np.float64).ravel()
    b = second.detach().to("cpu").numpy().astype(np.float64).ravel()
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise NotApplicable(f"{what}: the model produced a non-finite embedding")
    norms = float(np.linalg.norm(a)) * float(np.linalg.norm(b))
    if norms == 0.0:
        raise NotApplicable(f"{what}: the model produced a zero embedding")
    return float(np.clip(np.dot(a, b) / norms, -1.0, 1.0))
