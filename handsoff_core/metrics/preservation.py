"""Preservation outside the edit mask: L1, PSNR and SSIM between the source and the edit.

The Hands-off paper claims regions outside the edit are preserved but never measures it;
MagicBrush's masks (edited region white) say where an edit may change the image. Here the
source is compared with the edit over the pixels the edit should have left alone.

Definitions (revision 1, see `registry.py`):
- Images as RGB in [0,1] (uint8 / 255, float64); the edit resized to the source's size with
  the same bicubic filter MagicBrush uses for L1 (methods normally return the source size).
- Preserved pixels: mask value < 128 (`MASK_THRESHOLD`); the mask must have the source's
  size (the caller checks, raising `MaskRejected`).
- L1: mean |edit - source| over preserved pixels and the 3 channels.
- PSNR: 10 log10(1 / MSE) over the same values (peak 1). Identical regions have MSE 0 and an
  infinite PSNR; we cap at `PSNR_CAP_DB` = 100 dB (MSE 1e-10). 8-bit images that differ at all
  have MSE >= (1/255)^2 / n, so the cap only binds for regions of more than ~650k values
  differing by a single level in a single value; 100 dB reads as "identical at 8 bits".
- SSIM: Wang et al. (2004) with an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03,
  dynamic range 1, weighted (population) statistics, per RGB channel, on the full images;
  the SSIM map is taken at every window centre whose window lies inside the image (no
  padding: an (H-10) x (W-10) map), averaged over channels, then over the centres that are
  preserved pixels. Windows centred within 5 px of the mask's edge also see edited pixels:
  that is the cost of a windowed measure, stated rather than hidden.
Not applicable: images smaller than the SSIM window (SSIM only), or a mask that leaves no
preserved pixel (or no preserved window centre, for SSIM).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.pixel import resize_to

MASK_THRESHOLD = 128
PSNR_CAP_DB = 100.0
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def preserved_region(mask: Image.Image) -> np.ndarray:
    """(H, W) bool: True where the mask says "not edited" (value < 128).

    A mask with transparency is read as `handsoff_core.images.decode_mask` reads MagicBrush's
    DALL-E style masks: the transparent region (alpha < 128) is the edited one.
    """
    if mask.mode in ("RGBA", "LA", "PA"):
        alpha = np.asarray(mask.getchannel("A"), dtype=np.uint8)
        if alpha.min() < 255:
            return alpha >= MASK_THRESHOLD
    grey = mask if mask.mode == "L" else mask.convert("L")
    return np.asarray(grey, dtype=np.uint8) < MASK_THRESHOLD


def _unit64(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.uint8).astype(np.float64) / 255.0  # (H, W, 3)


def _aligned(edit: Image.Image, source: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """(edit, source) as (H, W, 3) float64 in [0,1] at the source's size."""
    source_rgb = resize_to(source, source.size)
    return _unit64(resize_to(edit, source_rgb.size)), _unit64(source_rgb)


def _require_preserved(preserved: np.ndarray) -> None:
    if not preserved.any():
        raise NotApplicable("the mask covers the whole image: no pixel outside the edited region")


def preservation_l1(edit: Image.Image, source: Image.Image, preserved: np.ndarray) -> float:
    """Mean |edit - source| over preserved pixels (all 3 channels)."""
    _require_preserved(preserved)
    edit_values, source_values = _aligned(edit, source)
    return float(np.abs(edit_values - source_values)[preserved].mean())


def preservation_psnr(edit: Image.Image, source: Image.Image, preserved: np.ndarray) -> float:
    """PSNR in dB (peak 1) over preserved pixels, capped at `PSNR_CAP_DB`."""
    _require_preserved(preserved)
    edit_values, source_values = _aligned(edit, source)
    mse = float(np.square(edit_values - source_values)[preserved].mean())
    if mse <= 10.0 ** (-PSNR_CAP_DB / 10.0):
        return PSNR_CAP_DB
    return min(PSNR_CAP_DB, 10.0 * math.log10(1.0 / mse))


def gaussian_window_1d(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian; the 2-D window is its outer product with itself."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    weights = np.exp(-(offsets**2) / (2.0 * sigma**2))
    return weights / weights.sum()


def _filter_valid(values: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Weighted window means at every fully-inside position: (H, W) -> (H-k+1, W-k+1)."""
    from scipy.ndimage import correlate1d

    # Separable: filter columns, then rows. Positions whose window lies inside the image do
    # not depend on the border mode; those are the ones kept.
    half = window.size // 2
    filtered = correlate1d(correlate1d(values, window, axis=0), window, axis=1)
    return filtered[half : values.shape[0] - half, half : values.shape[1] - half]


def ssim_map(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """SSIM at every valid window centre of two (H, W) float64 images in [0,1]."""
    window = gaussian_window_1d()
    c1, c2 = (SSIM_K1 * 1.0) ** 2, (SSIM_K2 * 1.0) ** 2
    mu_x, mu_y = _filter_valid(first, window), _filter_valid(second, window)
    var_x = _filter_valid(first * first, window) - mu_x**2
    var_y = _filter_valid(second * second, window) - mu_y**2
    cov_xy = _filter_valid(first * second, window) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return numerator / denominator


def preservation_ssim(edit: Image.Image, source: Image.Image, preserved: np.ndarray) -> float:
    """Mean SSIM over preserved window centres (channels averaged first)."""
    _require_preserved(preserved)
    edit_values, source_values = _aligned(edit, source)
    height, width = preserved.shape
    if height < SSIM_WINDOW or width < SSIM_WINDOW:
        raise NotApplicable(
            f"image {width}x{height} is smaller than the {SSIM_WINDOW}x{SSIM_WINDOW} SSIM window"
        )
    per_channel = [ssim_map(edit_values[..., c], source_values[..., c]) for c in range(3)]
    ssim = np.mean(per_channel, axis=0)  # (H-10, W-10)
    half = SSIM_WINDOW // 2
    centres = preserved[half : height - half, half : width - half]
    if not centres.any():
        raise NotApplicable(
            f"no preserved pixel lies {half} px or more from the image border (SSIM window centres)"
        )
    return float(ssim[centres].mean())
