"""Preservation outside the mask (L1, PSNR, SSIM), checked against the formulas in numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.preservation import (
    PSNR_CAP_DB,
    preservation_l1,
    preservation_psnr,
    preservation_ssim,
    preserved_region,
)


def _pair(seed: int, shape: tuple[int, int] = (18, 23)) -> tuple[Image.Image, Image.Image]:
    rng = np.random.default_rng(seed)
    source = rng.integers(0, 256, (*shape, 3))
    edit = np.clip(source + rng.normal(0, 25, source.shape), 0, 255).round()
    return Image.fromarray(edit.astype(np.uint8)), Image.fromarray(source.astype(np.uint8))


def _mask(shape: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    mask = np.zeros(shape, dtype=np.uint8)
    top, left, bottom, right = box
    mask[top:bottom, left:right] = 255
    return Image.fromarray(mask, mode="L")


def _ssim_reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Wang et al. 2004 at each window position, from the definition (explicit 2-D window)."""
    offsets = np.arange(11) - 5.0
    g = np.exp(-(offsets**2) / (2 * 1.5**2))
    w = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = 0.01**2, 0.03**2
    out = np.zeros((x.shape[0] - 10, x.shape[1] - 10))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            a, b = x[i : i + 11, j : j + 11], y[i : i + 11, j : j + 11]
            mu_a, mu_b = (w * a).sum(), (w * b).sum()
            var_a, var_b = (w * (a - mu_a) ** 2).sum(), (w * (b - mu_b) ** 2).sum()
            cov = (w * (a - mu_a) * (b - mu_b)).sum()
            out[i, j] = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
                (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
            )
    return out


def test_l1_psnr_ssim_match_the_formulas_outside_the_mask() -> None:
    edit, source = _pair(0)
    preserved = preserved_region(_mask((18, 23), (4, 6, 12, 15)))
    e = np.asarray(edit, dtype=np.float64) / 255
    s = np.asarray(source, dtype=np.float64) / 255
    outside = (e - s)[preserved]  # (n, 3)
    assert preservation_l1(edit, source, preserved) == pytest.approx(
        np.abs(outside).mean(), abs=1e-6
    )
    mse = (outside**2).mean()
    assert preservation_psnr(edit, source, preserved) == pytest.approx(
        10 * math.log10(1 / mse), abs=1e-6
    )
    ssim_map = np.mean([_ssim_reference(e[..., c], s[..., c]) for c in range(3)], axis=0)
    centres = preserved[5:-5, 5:-5]
    assert preservation_ssim(edit, source, preserved) == pytest.approx(
        ssim_map[centres].mean(), abs=1e-6
    )


def test_pixels_inside_the_mask_do_not_count() -> None:
    edit, source = _pair(1)
    mask = _mask((18, 23), (0, 0, 9, 23))  # top half edited
    edit_array = np.asarray(edit).copy()
    edit_array[:9] = 0  # wreck only the edited region
    wrecked = Image.fromarray(edit_array)
    preserved = preserved_region(mask)
    assert preservation_l1(wrecked, source, preserved) == preservation_l1(edit, source, preserved)
    assert preservation_psnr(wrecked, source, preserved) == preservation_psnr(
        edit, source, preserved
    )


def test_identical_regions_give_l1_zero_ssim_one_and_the_psnr_cap() -> None:
    _, source = _pair(2)
    preserved = preserved_region(_mask((18, 23), (2, 2, 6, 6)))
    assert preservation_l1(source, source.copy(), preserved) == 0.0
    assert preservation_psnr(source, source.copy(), preserved) == PSNR_CAP_DB == 100.0
    assert preservation_ssim(source, source.copy(), preserved) == pytest.approx(1.0, abs=1e-12)


def test_psnr_is_finite_and_capped_for_a_one_level_difference() -> None:
    source = Image.new("RGB", (64, 64), (100, 100, 100))
    array = np.asarray(source).copy()
    array[0, 0, 0] = 101  # MSE = (1/255)^2 / 12288 -> 88.9 dB, under the cap
    preserved = np.ones((64, 64), dtype=bool)
    value = preservation_psnr(Image.fromarray(array), source, preserved)
    assert value == pytest.approx(10 * math.log10(255**2 * 64 * 64 * 3), abs=1e-9)
    assert value < PSNR_CAP_DB


def test_not_applicable_when_the_mask_covers_everything() -> None:
    edit, source = _pair(3)
    preserved = preserved_region(Image.new("L", source.size, 255))
    for measure in (preservation_l1, preservation_psnr, preservation_ssim):
        with pytest.raises(NotApplicable, match="covers the whole image"):
            measure(edit, source, preserved)


def test_ssim_not_applicable_for_images_smaller_than_its_window() -> None:
    edit, source = _pair(4, shape=(8, 30))
    preserved = np.ones((8, 30), dtype=bool)
    assert preservation_l1(edit, source, preserved) >= 0  # L1 and PSNR still apply
    with pytest.raises(NotApplicable, match="smaller than the 11x11 SSIM window"):
        preservation_ssim(edit, source, preserved)


def test_edit_of_another_size_is_resized_to_the_source() -> None:
    edit, source = _pair(5, shape=(20, 20))
    bigger = edit.resize((40, 40), Image.Resampling.NEAREST)
    preserved = np.ones((20, 20), dtype=bool)
    resized = bigger.resize((20, 20), Image.Resampling.BICUBIC)
    assert preservation_l1(bigger, source, preserved) == pytest.approx(
        preservation_l1(resized, source, preserved)
    )


def test_mask_threshold_is_128() -> None:
    mask = Image.fromarray(np.array([[0, 127, 128, 255]], dtype=np.uint8), mode="L")
    assert preserved_region(mask).tolist() == [[True, True, False, False]]


def test_transparent_region_of_a_dalle_style_mask_is_the_edited_one() -> None:
    # MagicBrush's zip masks: the input image with the edited region made transparent.
    mask = Image.new("RGBA", (4, 2), (10, 200, 30, 255))
    mask.putpixel((1, 0), (10, 200, 30, 0))
    assert preserved_region(mask).tolist() == [[True, False, True, True], [True] * 4]
    opaque = Image.new("RGBA", (2, 1), (255, 255, 255, 255))  # no transparency: by value
    assert preserved_region(opaque).tolist() == [[False, False]]
