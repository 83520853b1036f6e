"""PIE-Bench background preservation: PSNR, MSE and SSIM on the unedited region.

Reference: cure-lab/PnPInversion `evaluation/evaluate.py` (`calculate_metric`,
"psnr_unedit_part", "mse_unedit_part", "ssim_unedit_part") and
`evaluation/matrics_calculator.py` (`calculate_psnr`, `calculate_mse`, `calculate_ssim`):
torchmetrics with data_range 1.0 on both images multiplied by `1 - mask`. The reference's
metric objects are stateful but it uses each call's own value (forward), which is what the
functional forms return.

PSNR of two identical backgrounds is +inf, as in the reference; callers that store values
decide how to record it.
"""

from __future__ import annotations

import numpy as np
from PIL import Image
from torchmetrics.functional import mean_squared_error
from torchmetrics.functional.image import (
    peak_signal_noise_ratio,
    structural_similarity_index_measure,
)

from handsoff_core.metrics.pie_bench.regions import background_of, masked_unit_tensors


def background_psnr(source: Image.Image, edited: Image.Image, mask: np.ndarray) -> float:
    """PSNR (dB, data range 1) of source vs edit outside `mask` (1 = edited, H x W)."""
    src, tgt = masked_unit_tensors(source, edited, background_of(mask))
    return float(peak_signal_noise_ratio(src, tgt, data_range=1.0).item())


def background_mse(source: Image.Image, edited: Image.Image, mask: np.ndarray) -> float:
    """Mean squared error over all 3*H*W elements of the masked [0,1] images."""
    src, tgt = masked_unit_tensors(source, edited, background_of(mask))
    return float(mean_squared_error(src[0].contiguous(), tgt[0].contiguous()).item())


def background_ssim(source: Image.Image, edited: Image.Image, mask: np.ndarray) -> float:
    """SSIM (Gaussian 11x11, sigma 1.5, data range 1) of the masked images."""
    src, tgt = masked_unit_tensors(source, edited, background_of(mask))
    value = structural_similarity_index_measure(src, tgt, data_range=1.0)
    assert not isinstance(value, tuple)  # only with return_full_image / return_contrast_sensitivity
    return float(value.item())
