"""Stage cache entries: (kind, key) -> bytes, written once, read by any worker."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import CacheEntry
from db.upsert import insert_ignore


def get_cache_value(*, session: Session, kind: str, key: str) -> bytes | None:
    return session.scalar(
        select(CacheEntry.value).where(CacheEntry.kind == kind, CacheEntry.key == key)
    )


def put_cache_value(*, session: Session, kind: str, key: str, value: bytes) -> None:
    """Insert once; a concurrent writer of the same key wins silently (same inputs, same value)."""
    session.execute(
        insert_ignore(session, CacheEntry).values(
            kind=kind, key=key, value=bytes(value), created_at=utcnow()
        )
    )
