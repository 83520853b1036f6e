"""Stage caches (BLIP captions, LLM rewrites, inverted latents), keyed by a hash of
everything that determines the value, so sweeps and second methods reuse them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class CacheEntry(Base):
    __tablename__ = "cache_entry"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
