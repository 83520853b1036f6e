"""Edits: the output of one method configuration on one sample with one seed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType, utcnow
from db.models.enums import EditStatus, Setting, one_of


class Edit(Base):
    __tablename__ = "edit"
    __table_args__ = (
        # One edit per (sample, config, seed, setting), whatever runs ask for it.
        UniqueConstraint("sample_id", "method_config_id", "seed", "setting"),
        Index("ix_edit_run_id", "run_id"),
        one_of("status", EditStatus),
        one_of("setting", Setting),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id", ondelete="CASCADE"))
    method_config_id: Mapped[int] = mapped_column(ForeignKey("method_config.id"))
    seed: Mapped[int]
    # single-turn: edited from the gold input; multi-turn: from this method's previous output.
    setting: Mapped[str] = mapped_column(String(16), default=Setting.SINGLE_TURN.value)
    status: Mapped[str] = mapped_column(String(16))
    output_image: Mapped[str | None] = mapped_column(ForeignKey("image.sha256"))
    before_captions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    after_captions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    llm_raw_text: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    timings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # seconds per stage
    notes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    attempts: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
