"""The display encoding is lossless and uniform whatever the stored image looked like, and
the per-slot chunk spliced in at serve time changes the bytes but not the pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from db.queries.study_display_png import (
    Z_RLE,
    NotAPng,
    display_png,
    display_size,
    slot_chunk_text,
    with_slot_chunk,
)


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


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as decoded:
        decoded.load()
        return np.asarray(decoded)


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
    shown = with_slot_chunk(display_png(stored(image, compress_level=9), (40, 48)), "3/A")
    with Image.open(io.BytesIO(shown)) as decoded:
        assert decoded.mode == "RGB" and decoded.size == (40, 48)
    assert np.array_equal(pixels(shown), np.asarray(image.convert("RGB")))
    reference = with_slot_chunk(display_png(stored(KINDS["flat rgb"]), (40, 48)), "3/A")
    assert chunk_types(shown) == chunk_types(reference) == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    assert shown[:33] == reference[:33]  # signature and IHDR: size, depth, colour type


def test_an_image_of_another_size_is_shown_at_the_source_size() -> None:
    shown = display_png(stored(KINDS["noise rgb"]), (20, 24))
    with Image.open(io.BytesIO(shown)) as decoded:
        assert decoded.size == (20, 24) and decoded.mode == "RGB"


def test_the_spliced_chunk_keeps_the_stored_pixels_and_carries_the_slot() -> None:
    display = display_png(stored(KINDS["noise rgb"]), (40, 48))
    shown = with_slot_chunk(display, "7/source")
    assert np.array_equal(pixels(shown), pixels(display))
    with Image.open(io.BytesIO(shown)) as decoded:
        decoded.load()  # verifies every chunk's CRC on the way
        assert decoded.text == {"k": slot_chunk_text("7/source").decode()}
    assert len(shown) == len(display) + 12 + len(b"k\x00") + 16


def test_the_splice_gives_the_bytes_the_encoder_itself_writes_with_the_chunk() -> None:
    """Spliced at serve time or written by Pillow in one go: the browser gets the same PNG."""
    rgb = KINDS["noise rgb"]
    info = PngImagePlugin.PngInfo()
    info.add_text("k", slot_chunk_text("2/B").decode())
    by_encoder = stored(rgb, compress_level=1, compress_type=Z_RLE, pnginfo=info)
    assert with_slot_chunk(display_png(stored(rgb), (40, 48)), "2/B") == by_encoder


def test_two_slots_of_the_same_image_get_different_bytes() -> None:
    display = display_png(stored(KINDS["flat rgb"]), (40, 48))
    slots = {with_slot_chunk(display, f"4/{slot}") for slot in ("source", "A", "B")}
    assert len(slots) == 3
    assert with_slot_chunk(display, "5/A") not in slots  # and the position matters too


def test_bytes_that_are_not_a_png_are_refused() -> None:
    with pytest.raises(NotAPng, match="not a PNG"):
        with_slot_chunk(b"GIF89a" + bytes(40), "0/A")


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ((512, 512), (512, 512)),
        ((1024, 768), (512, 384)),
        ((300, 2000), (77, 512)),
        ((8, 4), (8, 4)),
    ],
)
def test_display_size_caps_the_longest_side(
    source: tuple[int, int], shown: tuple[int, int]
) -> None:
    assert display_size(source) == shown
