"""Images as the annotator's browser receives them: uniform, so they reveal nothing.

Stored PNGs differ in ways a curious annotator could read: a method's output size, the
dataset's own encoding of a ground-truth target, the mode. So every image on the page is
decoded and re-encoded the same way, at the size of the item's source image, with one text
chunk whose value depends only on the item's position and the slot. That chunk makes the
bytes, and so Streamlit's media URL (a hash of the bytes), differ between slots: a gold item
showing the unedited source would otherwise get the very URL of the source image above it.

Images are fetched and re-encoded once per item and cached by the assignment's handle
(annotator, position): the rerun after each click reads no image bytes.
"""

from __future__ import annotations

import hashlib
import io
import zlib

import streamlit as st
from PIL import Image, PngImagePlugin

from annotation_app import resources
from db.engine import session_scope
from db.queries.study_answers import ItemImageMissing, ItemView, item_images, load_next_item

# Longest side of the displayed images; larger sources are shown scaled down.
DISPLAY_MAX_SIDE = 512
# zlib's run-length strategy: on photo-like 512 px images a third of the time of the default
# strategy at the same level, and no larger (the page encodes three images per item and
# annotator, the largest share of its server time); only smooth gradients come out larger.
Z_RLE = zlib.Z_RLE
SLOTS = ("source", "A", "B")


class ImageUnavailable(Exception):
    """An image of the item is missing or cannot be decoded."""


def display_size(source_size: tuple[int, int]) -> tuple[int, int]:
    width, height = source_size
    scale = min(1.0, DISPLAY_MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def blind_png(png: bytes, size: tuple[int, int], slot_key: str) -> bytes:
    """`png` decoded, converted to RGB, resized to `size` and re-encoded with fixed settings."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    info = PngImagePlugin.PngInfo()
    info.add_text("k", hashlib.sha256(slot_key.encode()).hexdigest()[:16])
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG", compress_level=1, compress_type=Z_RLE, pnginfo=info)
    return buffer.getvalue()


# Three re-encoded images per entry (about 1.5 MB at 512 px): 64 items in memory at most.
@st.cache_data(max_entries=64, show_spinner=False)
def _blind_item_pngs(
    annotator_id: int, position: int, images_key: str, size: tuple[int, int]
) -> tuple[bytes, bytes, bytes]:
    with session_scope(resources.engine()) as session:
        stored = item_images(session=session, annotator_id=annotator_id, position=position)
    source, a, b = (
        blind_png(png, size, f"{position}/{slot}") for png, slot in zip(stored, SLOTS, strict=True)
    )
    return source, a, b


def blind_item_images(annotator_id: int, view: ItemView) -> tuple[bytes, bytes, bytes]:
    """(source, side A, side B) ready to send; ImageUnavailable if one cannot be shown."""
    try:
        return _blind_item_pngs(
            annotator_id, view.position, view.images_key, display_size(view.source_size)
        )
    except (ItemImageMissing, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageUnavailable(f"item {view.number}: an image cannot be shown") from exc


def prefetch_next_item(annotator_id: int, current: ItemView, skipped: set[int]) -> None:
    """Prepare the images of the item that follows `current`, so submitting shows it at
    once. Called after the page is drawn (the annotator is already looking at it); any
    problem is left for that item's own render to report."""
    try:
        with session_scope(resources.engine()) as session:
            following = load_next_item(
                session=session,
                annotator_id=annotator_id,
                skip_positions=skipped | {current.position},
            )
        if isinstance(following, ItemView):
            _blind_item_pngs(
                annotator_id,
                following.position,
                following.images_key,
                display_size(following.source_size),
            )
    except (ItemImageMissing, OSError, ValueError, Image.DecompressionBombError):
        pass
