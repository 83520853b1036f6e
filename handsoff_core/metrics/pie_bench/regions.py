"""The image-times-mask step every masked PIE-Bench metric shares.

Reference: cure-lab/PnPInversion `evaluation/matrics_calculator.py`, `MetricsCalculator`
(`calculate_psnr` and siblings): each image goes to float32 `/ 255`, is multiplied
element-wise by its region mask (float32, repeated over RGB in `evaluate.py`), and the
metric then compares the WHOLE masked images, so pixels outside the region count as equal
zeros. `evaluate.py`'s `calculate_metric` returns "nan" when a region is empty; we raise
`NotApplicable` with the reason instead.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from handsoff_core.metrics.not_applicable import NotApplicable


def _rgb_array(image: Image.Image) -> np.ndarray:
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.asarray(image)


def background_of(mask: np.ndarray) -> np.ndarray:
    """The unedited region `1 - mask` of a decoded (H, W) mask, NotApplicable if empty."""
    background = 1 - np.asarray(mask)
    if background.sum() == 0:
        raise NotApplicable("no unedited region: the edit mask covers the whole image")
    return background


def masked_unit_tensors(
    source: Image.Image, edited: Image.Image, region: np.ndarray
) -> tuple[torch.Tensor, torch.Tensor]:
    """(1, 3, H, W) float32 source and edit in [0, 1], each multiplied by `region` (H, W).

    Raises ValueError if the two images or the region differ in size (the reference asserts).
    """
    src = _rgb_array(source)
    tgt = _rgb_array(edited)
    if src.shape != tgt.shape:
        raise ValueError(
            f"source is {src.shape[1]}x{src.shape[0]} but the edited image is "
            f"{tgt.shape[1]}x{tgt.shape[0]}: PIE-Bench compares same-size images"
        )
    if np.shape(region) != src.shape[:2]:
        raise ValueError(f"mask is {np.shape(region)} (H, W) but the images are {src.shape[:2]}")
    region3 = np.repeat(np.asarray(region)[:, :, np.newaxis], 3, axis=2).astype(np.float32)
    src_unit = src.astype(np.float32) / 255 * region3
    tgt_unit = tgt.astype(np.float32) / 255 * region3
    return (
        torch.from_numpy(src_unit).permute(2, 0, 1).unsqueeze(0),
        torch.from_numpy(tgt_unit).permute(2, 0, 1).unsqueeze(0),
    )
