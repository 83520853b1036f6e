"""Decoding and validating images: the one gate every image passes before it is used.

The rules, stated once:
- anything PIL cannot fully decode (corrupt, truncated, empty) is rejected;
- images above `max_pixels` are rejected before decoding (decompression bombs);
- zero-size images are rejected;
- RGB passes unchanged; RGBA/LA/P (with transparency) are composited on white, L/P/CMYK/
  I;16/I/F are converted to RGB; every conversion is returned as a note so callers can
  record it. Masks are converted to single-channel "L".
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image

from handsoff_core.errors import ImageRejected, MaskRejected

# 4096 x 4096: 8x the area of the largest MagicBrush image, far below PIL's own bomb limit.
DEFAULT_MAX_PIXELS = 4096 * 4096


@dataclass
class DecodedImage:
    """An image ready to use, with the notes of any conversion applied to it."""

    image: Image.Image
    original_mode: str
    notes: list[str] = field(default_factory=list)


def _open_checked(data: bytes, *, what: str, max_pixels: int) -> Image.Image:
    if not data:
        raise ImageRejected(f"{what}: empty file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width <= 0 or height <= 0:
                raise ImageRejected(f"{what}: zero-size image ({width}x{height})")
            if width * height > max_pixels:
                raise ImageRejected(
                    f"{what}: {width}x{height} = {width * height} pixels exceeds the limit "
                    f"of {max_pixels}"
                )
            image.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"{what}: decompression bomb ({exc})") from exc
    except Exception as exc:  # PIL raises many types for corrupt data
        raise ImageRejected(f"{what}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    return image


def to_rgb(image: Image.Image) -> tuple[Image.Image, list[str]]:
    """Convert any PIL image to RGB, compositing transparency on white."""
    mode = image.mode
    if mode == "RGB":
        return image, []
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("RGB"), [f"converted {mode} to RGB (alpha composited on white)"]
    if mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16/32-bit grey: scale to 8 bits by the image's own range before converting.
        import numpy as np

        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = np.zeros_like(array) if high <= low else (array - low) / (high - low) * 255.0
        grey = Image.fromarray(scaled.round().astype("uint8"), mode="L")
        return grey.convert("RGB"), [f"converted {mode} to RGB (rescaled to 8 bits)"]
    return image.convert("RGB"), [f"converted {mode} to RGB"]


def decode_image(data: bytes, *, what: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Decode `data` into an RGB image or raise `ImageRejected` naming `what`."""
    image = _open_checked(data, what=what, max_pixels=max_pixels)
    original_mode = image.mode
    rgb, notes = to_rgb(image)
    return DecodedImage(image=rgb, original_mode=original_mode, notes=notes)


def decode_mask(
    data: bytes,
    *,
    what: str,
    expected_size: tuple[int, int] | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> DecodedImage:
    """Decode a mask (edited region white) to mode "L"; its size must match the image's."""
    image = _open_checked(data, what=what, max_pixels=max_pixels)
    original_mode = image.mode
    notes: list[str] = []
    alpha_low = image.getchannel("A").getextrema()[0] if image.mode in ("RGBA", "LA", "PA") else 255
    if isinstance(alpha_low, (int, float)) and alpha_low < 255:
        # The MagicBrush zip's masks are DALL-E 2 style: the input image with the edited
        # region made transparent. The region to edit is where alpha is 0.
        mask = image.getchannel("A").point(lambda alpha: 255 if alpha < 128 else 0)
        notes.append(f"mask taken from the transparent region of a {image.mode} image")
    else:
        # The hub release (and our JSONL layout) paints the edited region white.
        mask = image.convert("L") if image.mode != "L" else image
    if expected_size is not None and mask.size != expected_size:
        raise MaskRejected(
            f"{what}: mask is {mask.size[0]}x{mask.size[1]} but its image is "
            f"{expected_size[0]}x{expected_size[1]}"
        )
    return DecodedImage(image=mask, original_mode=original_mode, notes=notes)


def encode_png(image: Image.Image, *, compress_level: int = 1) -> bytes:
    """PNG bytes of `image`; level 1 because encoding, not storage, is the bottleneck."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=compress_level)
    return buffer.getvalue()
