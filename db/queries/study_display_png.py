"""The PNG an annotator's browser receives: uniform, so it reveals nothing.

Stored PNGs differ in ways a curious annotator could read: a method's output size, the
dataset's own encoding of a ground-truth target, the mode. So every image a study shows is
decoded and encoded again the same way (`display_png`): RGB, at the display size of the
item's source image, fixed encoder settings. That is done once, when the study is created
(db.queries.study_display).

Each slot of the page then gets one text chunk whose value depends only on the item's
position and the slot (`with_slot_chunk`). It makes the bytes, and so Streamlit's media URL
(a hash of the bytes), differ between slots: a gold item showing the unedited source would
otherwise get the very URL of the source image above it. The chunk is spliced into the byte
stream right after IHDR, where the encoder itself would write it: no decoding at serve time.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import Image

# Longest side of the displayed images; larger sources are shown scaled down.
DISPLAY_MAX_SIDE = 512
# zlib's run-length strategy: on photo-like 512 px images a third of the time of the default
# strategy at the same level, and no larger; only smooth gradients come out larger.
Z_RLE = zlib.Z_RLE
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC).
IHDR_END = 8 + 25
SLOT_CHUNK_KEYWORD = b"k"


class NotAPng(ValueError):
    """Bytes that do not start with a PNG signature and IHDR chunk."""


def display_size(source_size: tuple[int, int]) -> tuple[int, int]:
    """(width, height) at which every image of an item with this source size is shown."""
    width, height = source_size
    scale = min(1.0, DISPLAY_MAX_SIDE / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def display_png(png: bytes, size: tuple[int, int]) -> bytes:
    """`png` decoded, converted to RGB, resized to `size` and encoded with fixed settings,
    without any text chunk. Raises OSError / ValueError / DecompressionBombError for bytes
    that are not a readable image."""
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
    if rgb.size != size:
        rgb = rgb.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    rgb.save(buffer, format="PNG", compress_level=1, compress_type=Z_RLE)
    return buffer.getvalue()


def slot_chunk_text(slot_key: str) -> bytes:
    """The chunk's value: a hash of "position/slot", so it names neither."""
    return hashlib.sha256(slot_key.encode()).hexdigest()[:16].encode()


def with_slot_chunk(png: bytes, slot_key: str) -> bytes:
    """`png` with a tEXt chunk for `slot_key` inserted right after its IHDR chunk: the
    pixels are untouched, the bytes differ per slot."""
    if png[:8] != PNG_SIGNATURE or png[12:16] != b"IHDR":
        raise NotAPng("a display image is not a PNG starting with IHDR")
    body = SLOT_CHUNK_KEYWORD + b"\x00" + slot_chunk_text(slot_key)
    chunk = (
        struct.pack(">I", len(body))
        + b"tEXt"
        + body
        + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    )
    return png[:IHDR_END] + chunk + png[IHDR_END:]
