"""The stage cache and its keys."""

from __future__ import annotations

from PIL import Image

from handsoff_core.cache import MemoryStageCache, cache_key, image_sha256


def test_memory_cache_counts_hits_and_misses_per_kind() -> None:
    cache = MemoryStageCache()
    assert cache.get("caption", "k") is None
    cache.put("caption", "k", b"a cat")
    assert cache.get("caption", "k") == b"a cat"
    assert cache.get("rewrite", "k") is None  # kinds are separate namespaces
    assert (cache.hits, cache.misses, len(cache)) == (1, 2, 1)


def test_cache_key_ignores_argument_order_and_changes_with_any_part() -> None:
    key = cache_key(model="m", revision="r", image="abc", seed=1, params={"a": 1, "b": 2})
    assert key == cache_key(params={"b": 2, "a": 1}, seed=1, image="abc", revision="r", model="m")
    others = {
        cache_key(model="m2", revision="r", image="abc", seed=1, params={"a": 1, "b": 2}),
        cache_key(model="m", revision="r2", image="abc", seed=1, params={"a": 1, "b": 2}),
        cache_key(model="m", revision="r", image="abd", seed=1, params={"a": 1, "b": 2}),
        cache_key(model="m", revision="r", image="abc", seed=2, params={"a": 1, "b": 2}),
        cache_key(model="m", revision="r", image="abc", seed=1, params={"a": 1, "b": 3}),
    }
    assert key not in others and len(others) == 5
    assert len(key) == 64


def test_image_sha256_depends_on_pixels_size_and_mode_only() -> None:
    image = Image.new("RGB", (4, 2), (1, 2, 3))
    assert image_sha256(image) == image_sha256(image.copy())
    changed = image.copy()
    changed.putpixel((0, 0), (1, 2, 4))
    assert image_sha256(changed) != image_sha256(image)
    assert image_sha256(Image.new("RGB", (2, 4), (1, 2, 3))) != image_sha256(image)
