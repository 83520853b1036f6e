"""Datasets and their samples: one sample is one editing turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, JSONType, utcnow


class Dataset(Base):
    __tablename__ = "dataset"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source_format: Mapped[str] = mapped_column(String(32))
    source_path: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    samples: Mapped[list[Sample]] = relationship(back_populates="dataset", lazy="raise")


class Sample(Base):
    __tablename__ = "sample"
    __table_args__ = (
        UniqueConstraint("dataset_id", "external_id"),
        UniqueConstraint("dataset_id", "session_id", "turn_index"),
        Index("ix_sample_source_image", "source_image"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    session_id: Mapped[str] = mapped_column(String(200))
    turn_index: Mapped[int]  # 1-based, as in MagicBrush
    instruction: Mapped[str] = mapped_column(Text)
    source_image: Mapped[str] = mapped_column(ForeignKey("image.sha256"))
    mask_image: Mapped[str | None] = mapped_column(ForeignKey("image.sha256"))
    target_image: Mapped[str | None] = mapped_column(ForeignKey("image.sha256"))
    input_caption_global: Mapped[str | None] = mapped_column(Text)
    output_caption_global: Mapped[str | None] = mapped_column(Text)
    output_caption_local: Mapped[str | None] = mapped_column(Text)
    # Conversions applied on import (e.g. "converted RGBA to RGB"), kept for provenance.
    import_notes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="samples", lazy="raise")
