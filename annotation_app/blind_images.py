"""Images as the annotator's browser receives them: uniform, so they reveal nothing.

Stored PNGs differ in ways a curious annotator could read: a method's output size, the
dataset's own encoding of a ground-truth target, the mode. So every image on the page is
decoded and re-encoded the same way, at the size of the item's source image, with one text
chunk whose value depends only on the item's position and the slot. That chunk makes the
bytes, and so Streamlit's media URL (a hash of the bytes), differ between slots: a gold item
showing the unedited source would otherwise get the very URL of the source image above it.
"""

from __future__ import annotations

import hashlib
import io

import streamlit as st
from PIL import Image, PngImagePlugin

from db.queries.study_answers import ItemView

# Longest side of the displayed images; larger sources are shown scaled down.
DISPLAY_MAX_SIDE = 512


class ImageUnavailable(Exception):
    """An image of the item cannot be decoded."""


def display_size(source_png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(source_png)) as image:
        width, height = image.size
    scale = min(1.0, DISPLAY_MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@st.cache_data(max_entries=512, show_spinner=False)
def blind_png(png: bytes, size: tuple[int, int], slot_key: str) -> bytes:
    """`png` decoded, converted to RGB, resized to `size` and re-encoded with fixed settings."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    info = PngImagePlugin.PngInfo()
    info.add_text("k", hashlib.sha256(slot_key.encode()).hexdigest()[:16])
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG", compress_level=1, pnginfo=info)
    return buffer.getvalue()


def blind_item_images(view: ItemView) -> tuple[bytes, bytes, bytes]:
    """(source, side A, side B) ready to send; ImageUnavailable if one cannot be decoded."""
    try:
        size = display_size(view.source_png)
        return (
            blind_png(view.source_png, size, f"{view.position}/source"),
            blind_png(view.sides[0].image_png, size, f"{view.position}/A"),
            blind_png(view.sides[1].image_png, size, f"{view.position}/B"),
        )
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageUnavailable(f"item {view.number}: an image cannot be decoded") from exc
