"""Metric values of edits; a value is absent (NULL) only when the metric does not apply,
and then `not_applicable` says why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.models.enums import CaptionKind, one_of


class MetricValue(Base):
    __tablename__ = "metric_value"
    __table_args__ = (
        UniqueConstraint("edit_id", "metric", "metric_version", "caption_kind"),
        CheckConstraint(
            "(value IS NULL) <> (not_applicable IS NULL)", name="value_xor_not_applicable"
        ),
        one_of("caption_kind", CaptionKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edit_id: Mapped[int] = mapped_column(ForeignKey("edit.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    metric_version: Mapped[str] = mapped_column(String(200))
    caption_kind: Mapped[str] = mapped_column(String(16), default="none")  # global/local/none
    value: Mapped[float | None] = mapped_column(Float(precision=53))
    not_applicable: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
