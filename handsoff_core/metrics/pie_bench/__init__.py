"""PIE-Bench's metrics (cure-lab/PnPInversion `evaluation/`), computed as its code computes them.

- `background`: PSNR, MSE and SSIM of source and edit on the unedited region.
- `regions`: the image-times-mask arithmetic they share, and when a region is empty.
- `versions`: metric names, definition revisions and version strings.
"""

from handsoff_core.metrics.pie_bench.background import (
    background_mse,
    background_psnr,
    background_ssim,
)
from handsoff_core.metrics.pie_bench.versions import (
    PIE_BACKGROUND_MSE,
    PIE_BACKGROUND_PSNR,
    PIE_BACKGROUND_SSIM,
    pie_metric_version,
)

__all__ = [
    "PIE_BACKGROUND_MSE",
    "PIE_BACKGROUND_PSNR",
    "PIE_BACKGROUND_SSIM",
    "background_mse",
    "background_psnr",
    "background_ssim",
    "pie_metric_version",
]
