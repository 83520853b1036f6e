"""A `StageCache` backed by the database's `cache_entry` table.

Captions, LLM rewrites and inverted latents are written once and read by every worker and
every later run, so a weight sweep or a second method over the same images repeats none of
them. A small in-process LRU sits in front so one worker does not re-read what it just
wrote. The cache is an accelerator, never a source of failure: a database error on a read
counts as a miss and on a write is logged and ignored (the edit itself still stores).
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from db.engine import session_scope
from db.queries.caches import get_cache_value, put_cache_value

logger = logging.getLogger(__name__)

# Entries kept in memory per process: a 512 px latent is 4x64x64 float32 = 64 KiB, so 256
# entries stay well under 50 MiB while covering a sweep over a batch of samples.
MEMORY_ENTRIES = 256


class DatabaseStageCache:
    """`StageCache` on the database, counting hits and misses per kind."""

    def __init__(self, engine: Engine, *, memory_entries: int = MEMORY_ENTRIES) -> None:
        self._engine = engine
        self._memory: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._memory_entries = memory_entries
        self.hits_by_kind: Counter[str] = Counter()
        self.misses_by_kind: Counter[str] = Counter()

    @property
    def hits(self) -> int:
        return sum(self.hits_by_kind.values())

    @property
    def misses(self) -> int:
        return sum(self.misses_by_kind.values())

    def get(self, kind: str, key: str) -> bytes | None:
        value = self._memory.get((kind, key))
        if value is None:
            try:
                with session_scope(self._engine) as session:
                    value = get_cache_value(session=session, kind=kind, key=key)
            except SQLAlchemyError as exc:
                logger.warning(
                    "stage cache read failed (%s %s…), treated as a miss: %s", kind, key[:12], exc
                )
                value = None
            if value is not None:
                self._remember(kind, key, value)
        else:
            self._memory.move_to_end((kind, key))
        (self.hits_by_kind if value is not None else self.misses_by_kind)[kind] += 1
        return value

    def put(self, kind: str, key: str, value: bytes) -> None:
        self._remember(kind, key, value)
        try:
            with session_scope(self._engine) as session:
                put_cache_value(session=session, kind=kind, key=key, value=value)
        except SQLAlchemyError as exc:
            logger.warning(
                "stage cache write failed (%s %s…), not persisted: %s", kind, key[:12], exc
            )

    def hit_rates(self) -> dict[str, dict[str, float]]:
        """{kind: {"hits": n, "misses": n, "rate": hits / lookups}}."""
        kinds = sorted(set(self.hits_by_kind) | set(self.misses_by_kind))
        rates: dict[str, dict[str, float]] = {}
        for kind in kinds:
            hits, misses = self.hits_by_kind[kind], self.misses_by_kind[kind]
            rates[kind] = {"hits": hits, "misses": misses, "rate": hits / (hits + misses)}
        return rates

    def _remember(self, kind: str, key: str, value: bytes) -> None:
        self._memory[(kind, key)] = bytes(value)
        self._memory.move_to_end((kind, key))
        while len(self._memory) > self._memory_entries:
            self._memory.popitem(last=False)
