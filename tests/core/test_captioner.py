"""BLIP captioning on the tiny model: deterministic, prefixed, batched, cached."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PIL import Image

from handsoff_core.cache import MemoryStageCache
from handsoff_core.captioner import PIX2PIX_ZERO_PREFIX, CaptionOptions
from handsoff_core.errors import ConfigError
from handsoff_core.models.tiny.blip import tiny_blip_vocab

OPTIONS = CaptionOptions(max_new_tokens=8, resize_to=64)


def _image(seed: int, size: tuple[int, int] = (40, 30)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")


def test_captions_are_deterministic_words_of_the_vocabulary(tiny_models: Any) -> None:
    captioner = tiny_models.captioner()
    first = captioner.caption([_image(0)], OPTIONS)
    second = captioner.caption([_image(0)], OPTIONS)
    assert first == second and len(first) == 1
    words = first[0].split()
    assert 1 <= len(words) <= 8
    assert set(words) <= set(tiny_blip_vocab())


def test_prefix_starts_the_caption(tiny_models: Any) -> None:
    captioner = tiny_models.captioner()
    options = CaptionOptions(prefix=PIX2PIX_ZERO_PREFIX, max_new_tokens=5, resize_to=64)
    (caption,) = captioner.caption([_image(1)], options)
    assert caption.startswith("a photography of ")
    assert len(caption.split()) > len(PIX2PIX_ZERO_PREFIX.split())


def test_batches_give_the_same_captions_as_single_images(tiny_models: Any) -> None:
    captioner = tiny_models.captioner()
    images = [_image(2), _image(3, (64, 16)), _image(4, (17, 90))]
    batched = captioner.caption(
        images, CaptionOptions(max_new_tokens=8, resize_to=64, batch_size=2)
    )
    single = [captioner.caption([image], OPTIONS)[0] for image in images]
    assert batched == single


def test_cache_serves_repeated_images_and_keys_depend_on_options(tiny_models: Any) -> None:
    captioner = tiny_models.captioner()
    cache = MemoryStageCache()
    image = _image(5)
    fresh = captioner.caption([image], OPTIONS, cache=cache)
    assert (cache.hits, cache.misses, len(cache)) == (0, 1, 1)
    again = captioner.caption([image.copy()], OPTIONS, cache=cache)
    assert again == fresh and cache.hits == 1
    assert captioner.cache_key(image, OPTIONS) == captioner.cache_key(
        image, CaptionOptions(max_new_tokens=8, resize_to=64, batch_size=1)
    )
    assert captioner.cache_key(image, OPTIONS) != captioner.cache_key(
        image, CaptionOptions(max_new_tokens=8, resize_to=64, prefix="a photo of")
    )
    assert captioner.revision is not None and captioner.revision.startswith("folder:")


def test_default_options_caption_a_512_px_image(tiny_models: Any) -> None:
    # BLIP's default: up to 128 new tokens after the 512x512 LANCZOS resize.
    (caption,) = tiny_models.captioner().caption([_image(6, (512, 384))])
    assert 1 <= len(caption.split()) <= 128


def test_too_many_new_tokens_is_a_config_error(tiny_models: Any) -> None:
    with pytest.raises(ConfigError, match="exceeds the model's 512 positions"):
        tiny_models.captioner().caption([_image(7)], CaptionOptions(max_new_tokens=600))
