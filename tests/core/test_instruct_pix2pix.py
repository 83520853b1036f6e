"""InstructPix2Pix / MagicBrush baselines on the tiny models."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.errors import ImageRejected, InstructionRejected
from handsoff_core.methods import EditRequest, build_method, default_config
from handsoff_core.methods.instruct_pix2pix import working_size

FAST = {"num_inference_steps": 2, "resolution": 64}


def _image(seed: int, size: tuple[int, int]) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def _method(models: Any, name: str = "instruct-pix2pix", **params: Any) -> Any:
    config = default_config(name, **{**FAST, **params})
    return build_method(config, models, device="cpu", dtype=torch.float32, cache=None)


def test_defaults_are_the_papers_baseline_settings() -> None:
    params = default_config("instruct-pix2pix").params
    assert params["num_inference_steps"] == 100
    assert (params["guidance_scale"], params["image_guidance_scale"]) == (7.5, 1.5)
    assert params["resolution"] == 512


def test_working_size_follows_the_original_cli_rule() -> None:
    assert working_size((512, 512), 512, "aspect-fit") == (512, 512)
    assert working_size((640, 480), 512, "aspect-fit") == (512, 384)
    assert working_size((480, 640), 512, "aspect-fit") == (384, 512)
    assert working_size((1000, 10), 512, "aspect-fit") == (512, 64)
    assert working_size((10, 1000), 512, "aspect-fit") == (64, 512)
    assert working_size((72, 56), 64, "aspect-fit") == (64, 64)
    assert working_size((640, 480), 512, "square") == (512, 512)
    for size in [(333, 517), (17, 9), (2048, 1536)]:
        width, height = working_size(size, 512, "aspect-fit")
        assert width % 64 == 0 and height % 64 == 0


def test_same_seed_same_image_and_output_size_equals_input_size(tiny_models: Any) -> None:
    method = _method(tiny_models)
    request = EditRequest("i1", _image(0, (80, 48)), "make it red", seed=3)
    first, second = method.edit(request), method.edit(request)
    assert first.image.size == (80, 48) and first.image.mode == "RGB"
    assert np.array_equal(np.asarray(first.image), np.asarray(second.image))
    assert first.config_hash == default_config("instruct-pix2pix", **FAST).config_hash()
    assert first.seed == 3 and first.before_captions == [] and first.llm_raw_text is None
    assert first.timings["edit"] > 0
    assert "tiny profile: random weights, output is noise" in first.notes
    assert any("80x48 -> 64x64" in note for note in first.notes)
    other_seed = method.edit(EditRequest("i1", request.source_image, "make it red", seed=4))
    assert not np.array_equal(np.asarray(other_seed.image), np.asarray(first.image))


def test_magicbrush_uses_its_own_weights(tiny_models: Any) -> None:
    request = EditRequest("i1", _image(1, (64, 64)), "add a hat", seed=0)
    ip2p = _method(tiny_models).edit(request)
    magicbrush = _method(tiny_models, "magicbrush").edit(request)
    assert magicbrush.image.size == (64, 64)
    assert not np.array_equal(np.asarray(ip2p.image), np.asarray(magicbrush.image))
    assert magicbrush.config_hash != ip2p.config_hash


def test_batch_returns_item_errors_in_place_and_matches_single_edits(tiny_models: Any) -> None:
    method = _method(tiny_models)
    good = EditRequest("ok", _image(2, (64, 64)), "make it blue", seed=5)
    other_size = EditRequest("wide", _image(3, (72, 56)), "make it green", seed=6)
    requests = [
        good,
        EditRequest("empty", _image(2, (64, 64)), "", seed=0),
        EditRequest("grey", Image.new("L", (64, 64)), "x", seed=0),
        other_size,
    ]
    results = method.edit_batch(requests)
    assert isinstance(results[1], InstructionRejected) and "'empty'" in str(results[1])
    assert isinstance(results[2], ImageRejected) and "'grey'" in str(results[2])
    assert results[3].image.size == (72, 56)
    single = method.edit(good)
    batched = np.asarray(results[0].image, dtype=np.int16)
    # Same seed per item; only the batched kernels' float rounding may differ.
    assert np.abs(batched - np.asarray(single.image, dtype=np.int16)).max() <= 2
    with pytest.raises(InstructionRejected):
        method.edit(requests[1])
