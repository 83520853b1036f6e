"""L1 and L2 between an edit and its ground-truth target, as MagicBrush defines them.

MagicBrush (`evaluation/image_eval.py`, `eval_distance`): both images to RGB, the generated
image resized to the ground truth's size with PIL's default filter (bicubic for RGB since
Pillow 7; we name it explicitly), both to [0,1] tensors by torchvision's ToTensor (uint8 /
255 in float32), then `nn.L1Loss` / `nn.MSELoss`: the mean over all 3*H*W elements.

Per-element values are the same float32 numbers ToTensor makes; we accumulate the mean in
float64 (torch's float32 mean of ~800k elements drifts by about 1e-7, numpy's float64 does
not), so our values equal the reference's to float32 precision.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from handsoff_core.metrics.preprocessing import as_rgb

# PIL's default for Image.resize on RGB images (Pillow >= 7), which MagicBrush relied on.
MAGICBRUSH_RESAMPLE = Image.Resampling.BICUBIC


def resize_to(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` as RGB at `size` (width, height), resized bicubically only if it differs."""
    rgb = as_rgb(image)
    return rgb if rgb.size == size else rgb.resize(size, MAGICBRUSH_RESAMPLE)


def unit_array(image: Image.Image) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1], exactly ToTensor's values (channel-last)."""
    return np.asarray(as_rgb(image), dtype=np.uint8).astype(np.float32) / np.float32(255)


def pixel_difference(edit: Image.Image, target: Image.Image) -> np.ndarray:
    """(H, W, 3) float32 `edit - target` at the target's size."""
    return unit_array(resize_to(edit, target.size)) - unit_array(target)


def l1_distance(edit: Image.Image, target: Image.Image) -> float:
    """MagicBrush L1: mean |edit - target| over [0,1] RGB values at the target's size."""
    return float(np.abs(pixel_difference(edit, target)).mean(dtype=np.float64))


def l2_distance(edit: Image.Image, target: Image.Image) -> float:
    """MagicBrush L2: mean (edit - target)^2 (an MSE, not its square root)."""
    # Squares in float32 as nn.MSELoss does; the mean accumulated in float64.
    return float(np.square(pixel_difference(edit, target)).mean(dtype=np.float64))
