"""L1 and L2 as MagicBrush defines them, checked against the formula on known arrays."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from handsoff_core.metrics.pixel import l1_distance, l2_distance, resize_to


def _image(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array.astype(np.uint8), mode="RGB")


def test_l1_l2_match_the_formula_on_known_arrays() -> None:
    rng = np.random.default_rng(0)
    edit = rng.integers(0, 256, (5, 7, 3))
    target = rng.integers(0, 256, (5, 7, 3))
    difference = edit / 255.0 - target / 255.0
    assert l1_distance(_image(edit), _image(target)) == pytest.approx(
        np.abs(difference).mean(), abs=1e-6
    )
    assert l2_distance(_image(edit), _image(target)) == pytest.approx(
        (difference**2).mean(), abs=1e-6
    )


def test_hand_computed_values() -> None:
    # One pixel, one channel differs by 51 levels (0.2): L1 = 0.2 / 3, L2 = 0.04 / 3.
    edit = np.zeros((1, 1, 3))
    target = np.array([[[51, 0, 0]]])
    assert l1_distance(_image(edit), _image(target)) == pytest.approx(0.2 / 3, abs=1e-7)
    assert l2_distance(_image(edit), _image(target)) == pytest.approx(0.04 / 3, abs=1e-7)


def test_identical_images_give_zero() -> None:
    image = _image(np.random.default_rng(1).integers(0, 256, (16, 16, 3)))
    assert l1_distance(image, image.copy()) == 0.0
    assert l2_distance(image, image.copy()) == 0.0


def test_edit_of_another_size_is_resized_to_the_target_bicubically() -> None:
    rng = np.random.default_rng(2)
    edit = _image(rng.integers(0, 256, (40, 30, 3)))
    target = _image(rng.integers(0, 256, (20, 24, 3)))
    # MagicBrush: gen_img.resize(gt_img.size) with PIL's default filter.
    reference = np.asarray(edit.resize(target.size), dtype=np.float64) / 255.0
    expected = np.abs(reference - np.asarray(target, dtype=np.float64) / 255.0).mean()
    assert l1_distance(edit, target) == pytest.approx(expected, abs=1e-6)
    assert resize_to(edit, target.size).size == target.size
    # PIL's default resize filter is what MagicBrush relied on; ours names it.
    assert np.array_equal(np.asarray(edit.resize((24, 20))), np.asarray(resize_to(edit, (24, 20))))


def test_grayscale_and_opaque_alpha_inputs_score_like_rgb() -> None:
    rng = np.random.default_rng(3)
    grey = Image.fromarray(rng.integers(0, 256, (8, 8)).astype(np.uint8), mode="L")
    target = _image(rng.integers(0, 256, (8, 8, 3)))
    assert l1_distance(grey, target) == pytest.approx(l1_distance(grey.convert("RGB"), target))
    rgba = target.convert("RGBA")  # fully opaque
    assert l1_distance(rgba, target) == 0.0


def test_transparent_pixels_are_composited_on_white() -> None:
    # MagicBrush's convert("RGB") would drop alpha and expose the black; our image gate shows
    # (and scores) what annotators see: white.
    transparent_black = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    white = Image.new("RGB", (4, 4), (255, 255, 255))
    assert l1_distance(transparent_black, white) == 0.0
