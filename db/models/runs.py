"""Evaluation runs: what was asked (dataset, configs, profile, seed) and where it ran."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType, utcnow
from db.models.enums import RunStatus, Setting, one_of


class Run(Base):
    __tablename__ = "run"
    __table_args__ = (one_of("status", RunStatus), one_of("setting", Setting))

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.PENDING.value)
    profile: Mapped[str] = mapped_column(String(100))
    seed: Mapped[int]
    setting: Mapped[str] = mapped_column(String(16), default=Setting.SINGLE_TURN.value)
    # What subset was asked for: {"limit": N, "sample_ids": [...]} (empty = whole dataset).
    selection: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # git sha, package versions, device, Prefect flow-run id, host.
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # done / failed / skipped counts, written when the run finishes.
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class RunMethodConfig(Base):
    """The method configurations a run evaluates."""

    __tablename__ = "run_method_config"

    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"), primary_key=True)
    method_config_id: Mapped[int] = mapped_column(ForeignKey("method_config.id"), primary_key=True)
