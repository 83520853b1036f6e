"""The stage cache: captions, LLM generations and inverted latents, keyed by what made them.

Methods talk to a `StageCache`; flows pass one backed by the database so results persist
across runs, tests and the CLI use `MemoryStageCache`. Keys are built with `cache_key` from
everything that determines the value: model id and revision, input image sha256,
prompt/parameters, seed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

# The kinds methods use; a cache may hold others.
CACHE_KINDS: tuple[str, ...] = ("caption", "rewrite", "latents")


class StageCache(Protocol):
    def get(self, kind: str, key: str) -> bytes | None: ...

    def put(self, kind: str, key: str, value: bytes) -> None: ...


class MemoryStageCache:
    """A dict-backed cache that counts hits and misses (for tests and single runs)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], bytes] = {}
        self.hits = 0
        self.misses = 0

    def get(self, kind: str, key: str) -> bytes | None:
        value = self._values.get((kind, key))
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def put(self, kind: str, key: str, value: bytes) -> None:
        self._values[(kind, key)] = bytes(value)

    def __len__(self) -> int:
        return len(self._values)


def cache_key(**parts: Any) -> str:
    """sha256 hex of the canonical JSON of `parts` (sorted keys, compact, no NaN)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), allow_nan=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def image_sha256(image: Any) -> str:
    """sha256 of an image's mode, size and raw pixels (independent of any file encoding)."""
    digest = hashlib.sha256()
    digest.update(f"{image.mode}:{image.size[0]}x{image.size[1]}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()
