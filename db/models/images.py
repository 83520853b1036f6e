"""Content-addressed images: stored once, referenced by their sha256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class Image(Base):
    __tablename__ = "image"
    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="positive_size"),
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # PNG bytes
    width: Mapped[int]
    height: Mapped[int]
    mode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
