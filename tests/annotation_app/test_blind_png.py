"""The page's re-encoding is lossless and uniform whatever the stored image looked like."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from annotation_app.blind_images import blind_png


def stored(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def chunk_types(png: bytes) -> list[bytes]:
    types, at = [], 8
    while at < len(png):
        length = int.from_bytes(png[at : at + 4], "big")
        types.append(png[at + 4 : at + 8])
        at += 12 + length
    return types


rng = np.random.default_rng(3)
noise = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
KINDS = {
    "noise rgb": Image.fromarray(noise),
    "flat rgb": Image.new("RGB", (40, 48), (10, 200, 30)),
    "gradient grey": Image.fromarray(np.tile(np.arange(40, dtype=np.uint8) * 6, (48, 1))),
    "rgba": Image.fromarray(np.dstack([noise, noise[..., :1]]), "RGBA"),
    "palette": Image.fromarray(noise).convert("P"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_pixels_survive_and_every_image_gets_the_same_chunks(kind: str) -> None:
    image = KINDS[kind]
    shown = blind_png(stored(image, compress_level=9), (40, 48), "3/A")
    with Image.open(io.BytesIO(shown)) as decoded:
        assert decoded.mode == "RGB" and decoded.size == (40, 48)
        assert np.array_equal(np.asarray(decoded), np.asarray(image.convert("RGB")))
    reference = blind_png(stored(KINDS["flat rgb"]), (40, 48), "3/A")
    assert chunk_types(shown) == chunk_types(reference)
    assert shown[:33] == reference[:33]  # signature and IHDR: size, depth, colour type


def test_an_image_of_another_size_is_shown_at_the_source_size() -> None:
    shown = blind_png(stored(KINDS["noise rgb"]), (20, 24), "0/B")
    with Image.open(io.BytesIO(shown)) as decoded:
        assert decoded.size == (20, 24) and decoded.mode == "RGB"
