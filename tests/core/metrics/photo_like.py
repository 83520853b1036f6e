"""Deterministic photo-like test images: smooth light, soft shapes, fine texture, sensor noise.

Pure noise or flat colours hide resampling differences (noise averages out, flat colours have
none); natural photographs have a falling frequency spectrum, which this imitates by mixing
content drawn at several scales.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    # Sky-to-ground light gradient, different per channel.
    base = np.stack(
        [
            80 + 120 * ys / height + 20 * np.sin(xs / width * 3.1),
            110 + 90 * (1 - ys / height),
            150 + 60 * np.cos(ys / height * 2.0 + xs / width),
        ],
        axis=-1,
    )
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), mode="RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.uniform(-0.1, 0.9, 2) * (width, height)
        w, h = rng.uniform(0.05, 0.4, 2) * (width, height)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1.0, min(width, height) / 150)))
    # Mid-scale texture (upsampled coarse noise) and fine sensor noise.
    coarse = rng.normal(0, 18, (max(2, height // 8), max(2, width // 8), 3))
    texture = np.asarray(
        Image.fromarray(np.clip(coarse + 128, 0, 255).astype(np.uint8)).resize(
            (width, height), Image.Resampling.BICUBIC
        ),
        dtype=np.float64,
    )
    pixels = (
        np.asarray(image, dtype=np.float64) + (texture - 128) + rng.normal(0, 4, (height, width, 3))
    )
    return Image.fromarray(np.clip(pixels, 0, 255).round().astype(np.uint8), mode="RGB")
