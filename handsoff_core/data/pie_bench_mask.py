"""PIE-Bench's edit masks: run-length codes decoded as the benchmark's own evaluation does.

Reference: cure-lab/PnPInversion, `evaluation/evaluate.py`, `mask_decode`. A mask is a flat
list `[start_0, length_0, start_1, length_1, ...]` of runs over the row-major flattened
512x512 image; each run sets `length` pixels from `start` to 1. After decoding, the one-pixel
border of the image is forced to 1 ("to avoid annotation errors in boundary"), so the border
always counts as edited and never as background.

Where the reference is silent we are strict: it clips a run that overflows the image
(`min(length, H*W - start)`) and a negative start indexes from the end; both mean the
annotation does not describe this image, so we reject them with the run named instead of
scoring a mask nobody drew.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# PIE-Bench's images and masks are all 512x512 (`mask_decode`'s default image_shape).
PIE_BENCH_MASK_SHAPE: tuple[int, int] = (512, 512)


def decode_pie_bench_mask(
    encoded: Sequence[int], *, shape: tuple[int, int] = PIE_BENCH_MASK_SHAPE
) -> np.ndarray:
    """(H, W) float64 mask, 1 = edited region, 0 = background, border forced to 1.

    float64 0/1 values, as the reference's `np.zeros` gives, so products with images match it.
    Raises ValueError naming the offending run (its index, start and length) for an odd-length
    code, a non-integer, a negative start or length, or a run reaching past the image.
    """
    height, width = shape
    if height < 1 or width < 1:
        raise ValueError(f"mask shape must be positive, got {shape!r}")
    if len(encoded) % 2:
        raise ValueError(
            f"mask code has an odd number of values ({len(encoded)}): "
            "it must be [start, length] pairs"
        )
    size = height * width
    flat = np.zeros((size,), dtype=np.float64)
    for run in range(len(encoded) // 2):
        start, length = encoded[2 * run], encoded[2 * run + 1]
        # bool is an int subclass but a True start is a corrupt record, not pixel 1.
        if not all(
            isinstance(value, int | np.integer) and not isinstance(value, bool)
            for value in (start, length)
        ):
            raise ValueError(f"mask run {run} has non-integer start/length ({start!r}, {length!r})")
        if start < 0 or length < 0:
            raise ValueError(f"mask run {run} has a negative start or length ({start}, {length})")
        if start + length > size:
            raise ValueError(
                f"mask run {run} (start {start}, length {length}) ends at pixel "
                f"{start + length}, past the {height}x{width} image ({size} pixels)"
            )
        flat[start : start + length] = 1.0
    mask = flat.reshape(height, width)
    mask[0, :] = 1.0
    mask[-1, :] = 1.0
    mask[:, 0] = 1.0
    mask[:, -1] = 1.0
    return mask
