"""PIE-Bench background PSNR / MSE / SSIM equal the benchmark's own code, run as it runs.

The reference (cure-lab/PnPInversion evaluation/matrics_calculator.py, MetricsCalculator) is
re-stated literally below: its numpy preprocessing and its stateful torchmetrics objects,
called repeatedly as evaluate.py does, so a difference in masking, scaling, channel order or
reduction shows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from torchmetrics.image import PeakSignalNoiseRatio, StructuralSimilarityIndexMeasure
from torchmetrics.regression import MeanSquaredError

from handsoff_core.data.pie_bench_mask import decode_pie_bench_mask
from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.pie_bench import (
    PIE_BACKGROUND_MSE,
    PIE_BACKGROUND_PSNR,
    PIE_BACKGROUND_SSIM,
    background_mse,
    background_psnr,
    background_ssim,
    pie_metric_version,
)
from tests.core.metrics.photo_like import photo_like

SIZE = 96


class ReferenceCalculator:
    """The reference's calculate_psnr / calculate_mse / calculate_ssim, verbatim arithmetic."""

    def __init__(self) -> None:
        self.psnr = PeakSignalNoiseRatio(data_range=1.0)
        self.mse = MeanSquaredError()
        self.ssim = StructuralSimilarityIndexMeasure(data_range=1.0)

    @staticmethod
    def _prepare(img_pred, img_gt, mask_pred, mask_gt):
        img_pred = np.array(img_pred).astype(np.float32) / 255
        img_gt = np.array(img_gt).astype(np.float32) / 255
        assert img_pred.shape == img_gt.shape
        img_pred = img_pred * np.array(mask_pred).astype(np.float32)
        img_gt = img_gt * np.array(mask_gt).astype(np.float32)
        return torch.tensor(img_pred).permute(2, 0, 1), torch.tensor(img_gt).permute(2, 0, 1)

    def calculate_psnr(self, *args):
        p, g = self._prepare(*args)
        return self.psnr(p.unsqueeze(0), g.unsqueeze(0)).cpu().item()

    def calculate_mse(self, *args):
        p, g = self._prepare(*args)
        return self.mse(p.contiguous(), g.contiguous()).cpu().item()

    def calculate_ssim(self, *args):
        p, g = self._prepare(*args)
        return self.ssim(p.unsqueeze(0), g.unsqueeze(0)).cpu().item()


def edited_copy(source: Image.Image, mask: np.ndarray, seed: int) -> Image.Image:
    """The source repainted inside the mask plus faint noise everywhere (a realistic edit)."""
    rng = np.random.default_rng(seed)
    src = np.asarray(source).astype(np.int16)
    other = np.asarray(photo_like(*source.size, seed=seed + 100)).astype(np.int16)
    inside = mask[:, :, None].astype(bool)
    out = np.where(inside, other, src) + rng.integers(-3, 4, src.shape)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def random_mask(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    code: list[int] = []
    for _ in range(4):
        start = int(rng.integers(0, SIZE * SIZE - 2000))
        code += [start, int(rng.integers(100, 2000))]
    return decode_pie_bench_mask(code, shape=(SIZE, SIZE))


OURS = {"psnr": background_psnr, "mse": background_mse, "ssim": background_ssim}


@pytest.mark.parametrize("seed", range(3))
def test_equal_the_reference_metric_objects(seed: int) -> None:
    reference = ReferenceCalculator()
    source = photo_like(SIZE, SIZE, seed=seed)
    mask = random_mask(seed)
    edited = edited_copy(source, mask, seed)
    mask3 = mask[:, :, np.newaxis].repeat([3], axis=2)  # as evaluate.py passes it
    for name, ours in OURS.items():
        # Twice, as evaluate.py calls the same objects for every image.
        for _ in range(2):
            expected = getattr(reference, f"calculate_{name}")(source, edited, 1 - mask3, 1 - mask3)
            assert ours(source, edited, mask) == pytest.approx(expected, rel=1e-4, abs=1e-6)


def test_pixels_inside_the_mask_do_not_matter_but_outside_do() -> None:
    source = photo_like(SIZE, SIZE, seed=7)
    mask = random_mask(7)
    edited = edited_copy(source, mask, 7)
    repainted = np.asarray(edited).copy()
    repainted[mask.astype(bool)] = 0
    repainted_image = Image.fromarray(repainted)
    background_pixel = tuple(int(v) for v in np.argwhere(mask == 0)[0])
    changed = np.asarray(edited).copy()
    changed[background_pixel] = 255 - changed[background_pixel]
    changed_image = Image.fromarray(changed)
    for ours in OURS.values():
        assert ours(source, repainted_image, mask) == ours(source, edited, mask)
        assert ours(source, changed_image, mask) != ours(source, edited, mask)


def test_hand_checked_mse_and_psnr() -> None:
    # 4x4, border is mask (edited); interior 2x2 is background. One interior pixel differs
    # by 51/255 = 0.2 in one channel: MSE = 0.04 / (3 * 16) elements.
    source = Image.new("RGB", (4, 4), (100, 100, 100))
    pixels = np.full((4, 4, 3), 100, dtype=np.uint8)
    pixels[1, 1, 0] = 151
    pixels[0, 0] = 0  # border: masked out, must not count
    edited = Image.fromarray(pixels)
    mask = decode_pie_bench_mask([], shape=(4, 4))
    expected_mse = (51 / 255) ** 2 / 48
    assert background_mse(source, edited, mask) == pytest.approx(expected_mse, rel=1e-5)
    assert background_psnr(source, edited, mask) == pytest.approx(
        10 * math.log10(1 / expected_mse), rel=1e-5
    )


def test_identical_backgrounds() -> None:
    source = photo_like(SIZE, SIZE, seed=3)
    mask = random_mask(3)
    assert background_psnr(source, source, mask) == math.inf
    assert background_mse(source, source, mask) == 0
    assert background_ssim(source, source, mask) == pytest.approx(1.0, abs=1e-6)


def test_full_mask_is_not_applicable_with_the_reason() -> None:
    source = photo_like(SIZE, SIZE, seed=1)
    full = decode_pie_bench_mask([0, SIZE * SIZE], shape=(SIZE, SIZE))
    for ours in OURS.values():
        with pytest.raises(NotApplicable, match="no unedited region"):
            ours(source, source, full)


def test_size_mismatches_are_rejected() -> None:
    source = photo_like(SIZE, SIZE, seed=1)
    mask = random_mask(1)
    with pytest.raises(ValueError, match="96x96 but the edited image is 95x96"):
        background_psnr(source, source.resize((95, SIZE)), mask)
    with pytest.raises(ValueError, match="mask is"):
        background_ssim(source, source, mask[:-1])


def test_versions() -> None:
    assert pie_metric_version(PIE_BACKGROUND_PSNR) == "pie-background-psnr/1"
    assert pie_metric_version(PIE_BACKGROUND_MSE) == "pie-background-mse/1"
    assert pie_metric_version(PIE_BACKGROUND_SSIM) == "pie-background-ssim/1"
    with pytest.raises(ValueError, match="unknown PIE-Bench metric"):
        pie_metric_version("pie-psnr")
