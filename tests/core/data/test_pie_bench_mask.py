"""PIE-Bench mask decoding equals the benchmark's own `mask_decode` and rejects what it would
silently clip or misplace."""

from __future__ import annotations

import numpy as np
import pytest

from handsoff_core.data.pie_bench_mask import PIE_BENCH_MASK_SHAPE, decode_pie_bench_mask


def reference_mask_decode(encoded_mask, image_shape=(512, 512)):
    """cure-lab/PnPInversion evaluation/evaluate.py `mask_decode`, copied literally."""
    length = image_shape[0] * image_shape[1]
    mask_array = np.zeros((length,))
    for i in range(0, len(encoded_mask), 2):
        splice_len = min(encoded_mask[i + 1], length - encoded_mask[i])
        for j in range(splice_len):
            mask_array[encoded_mask[i] + j] = 1
    mask_array = mask_array.reshape(image_shape[0], image_shape[1])
    mask_array[0, :] = 1
    mask_array[-1, :] = 1
    mask_array[:, 0] = 1
    mask_array[:, -1] = 1
    return mask_array


def random_code(rng: np.random.Generator, size: int, runs: int) -> list[int]:
    """In-bounds runs, possibly overlapping, zero-length or touching the last pixel."""
    code: list[int] = []
    for _ in range(runs):
        start = int(rng.integers(0, size))
        length = (
            int(rng.integers(0, size - start + 1))
            if rng.random() < 0.2
            else int(rng.integers(0, min(5000, size - start) + 1))
        )
        code += [start, length]
    return code


@pytest.mark.parametrize("seed", range(8))
def test_random_codes_equal_the_reference_at_512(seed: int) -> None:
    rng = np.random.default_rng(seed)
    code = random_code(rng, 512 * 512, runs=int(rng.integers(0, 40)))
    ours = decode_pie_bench_mask(code)
    assert ours.shape == PIE_BENCH_MASK_SHAPE
    assert ours.dtype == np.float64
    np.testing.assert_array_equal(ours, reference_mask_decode(code))


def test_run_reaching_exactly_the_last_pixel_is_accepted() -> None:
    size = 512 * 512
    code = [size - 600, 600]
    np.testing.assert_array_equal(decode_pie_bench_mask(code), reference_mask_decode(code))


def test_hand_checked_4x5() -> None:
    # Pixel 7 is row 1, column 2; the run 7..12 wraps from row 1 into row 2 (row-major).
    mask = decode_pie_bench_mask([7, 6], shape=(4, 5))
    expected = np.array(
        [
            [1, 1, 1, 1, 1],
            [1, 0, 1, 1, 1],
            [1, 1, 1, 0, 1],
            [1, 1, 1, 1, 1],
        ],
        dtype=np.float64,
    )
    np.testing.assert_array_equal(mask, expected)


def test_empty_code_leaves_only_the_border() -> None:
    mask = decode_pie_bench_mask([], shape=(5, 6))
    assert mask[1:-1, 1:-1].sum() == 0
    assert mask.sum() == 5 * 6 - 3 * 4
    np.testing.assert_array_equal(mask, reference_mask_decode([], (5, 6)))


def test_interior_pixel_set_only_by_its_run() -> None:
    # 6x6: pixel 14 = (2, 2) inside; a length-1 run sets exactly it.
    mask = decode_pie_bench_mask([14, 1], shape=(6, 6))
    interior = mask[1:-1, 1:-1]
    assert interior.sum() == 1
    assert mask[2, 2] == 1


def test_numpy_integers_are_accepted() -> None:
    code = np.array([10, 3, 20, 2], dtype=np.int64)
    np.testing.assert_array_equal(
        decode_pie_bench_mask(list(code), shape=(6, 6)),
        reference_mask_decode([10, 3, 20, 2], (6, 6)),
    )


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ([0, 10, 30, 7], "run 1 (start 30, length 7) ends at pixel 37, past the 6x6 image"),
        ([36, 1], "run 0 (start 36, length 1)"),
        ([40, 0], "run 0 (start 40, length 0)"),
        ([0, 2, -3, 2], "run 1 has a negative start"),
        ([0, -1], "run 0 has a negative start or length"),
        ([0, 2, 5], "odd number of values (3)"),
        ([0, 2, 3.0, 1], "run 1 has non-integer"),
        ([True, 2], "run 0 has non-integer"),
        (["4", 2], "run 0 has non-integer"),
    ],
)
def test_bad_codes_are_rejected_naming_the_run(code: list[object], fragment: str) -> None:
    with pytest.raises(ValueError, match="mask") as caught:
        decode_pie_bench_mask(code, shape=(6, 6))  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_bad_shape_is_rejected() -> None:
    with pytest.raises(ValueError, match="shape"):
        decode_pie_bench_mask([], shape=(0, 4))
