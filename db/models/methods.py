"""Method configurations: a method name plus every parameter, identified by a hash of the
canonical JSON, so two runs with the same configuration share their edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType, utcnow


class MethodConfig(Base):
    __tablename__ = "method_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(100))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType)
    config_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
