"""A blind acceptability study (docs/method.md s5).

An item shows one source image, its instruction and two options (edits) side by side. An
option is either a method's edit or, on gold items, a known-answer image (the unedited
source, expected unacceptable; the ground-truth target, expected acceptable). Annotators
see items in their own random order, with sides randomised per annotator; one judgment per
(annotator, item, option) is enforced here, not in application code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, JSONType, utcnow
from db.models.enums import GoldRole, JudgmentEventKind, PreferenceKind, one_of


class Study(Base):
    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("run.id", ondelete="CASCADE"))
    # The method configs compared, in a fixed order: [method_config_id, method_config_id].
    method_config_ids: Mapped[list[Any]] = mapped_column(JSONType)
    overlap: Mapped[int]  # annotators per item
    seed: Mapped[int]
    question: Mapped[str] = mapped_column(
        Text, default="Is this an acceptable edit for the instruction?"
    )
    # Guidelines shown to annotators before the first item and from every item (markdown).
    guidelines: Mapped[str | None] = mapped_column(Text)
    # Drawn with `secrets` at creation and kept server-side only: the source of every
    # annotator's order and sides. NULL for studies made with an explicit `--seed`
    # (predictable to whoever knows the seed) and for studies made before it existed.
    blinding_secret: Mapped[str | None] = mapped_column(String(64))
    # A closed study accepts no more answers.
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class StudyItem(Base):
    __tablename__ = "study_item"
    __table_args__ = (UniqueConstraint("study_id", "sample_id", "is_gold"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    sample_id: Mapped[int] = mapped_column(ForeignKey("sample.id"))
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)


class StudyOption(Base):
    """One image shown for an item; `edit_id` for a method's edit, `expected_acceptable`
    for a gold image. Never sent to the browser: the page gets images by opaque ids."""

    __tablename__ = "study_option"
    __table_args__ = (
        UniqueConstraint("item_id", "position"),
        CheckConstraint("position IN (0, 1)", name="two_positions"),
        one_of("gold_role", GoldRole),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("study_item.id", ondelete="CASCADE"))
    position: Mapped[int]  # canonical order; the page's A/B side is per assignment
    image_sha256: Mapped[str] = mapped_column(ForeignKey("image.sha256"))
    edit_id: Mapped[int | None] = mapped_column(ForeignKey("edit.id"))
    method_config_id: Mapped[int | None] = mapped_column(ForeignKey("method_config.id"))
    # gold_source (expected unacceptable) or gold_target (expected acceptable); NULL for edits.
    gold_role: Mapped[str | None] = mapped_column(String(16))
    expected_acceptable: Mapped[bool | None] = mapped_column(Boolean)


class StudyDisplayImage(Base):
    """An image of an item exactly as the page shows it, encoded once at study creation
    (db.queries.study_display_png.display_png): RGB, at the item's source display size,
    fixed settings, no per-slot chunk (that is spliced in when it is served). `role` is
    canonical ("source", "option0", "option1"), never the side an annotator sees. Items of
    studies made before this table existed have no rows; the page encodes theirs on the fly."""

    __tablename__ = "study_display_image"
    __table_args__ = (
        CheckConstraint("role IN ('source', 'option0', 'option1')", name="known_role"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("study_item.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(8), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Annotator(Base):
    __tablename__ = "annotator"
    __table_args__ = (UniqueConstraint("study_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the token
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assignment(Base):
    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("annotator_id", "item_id"),
        UniqueConstraint("annotator_id", "position"),
        one_of("preference_kind", PreferenceKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotator.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("study_item.id", ondelete="CASCADE"))
    position: Mapped[int]  # this annotator's random order
    swap_sides: Mapped[bool] = mapped_column(Boolean)  # True: option 1 is shown as "A"
    # Preference: an option id, or "tie" / "both_bad" in preference_kind.
    preferred_option_id: Mapped[int | None] = mapped_column(ForeignKey("study_option.id"))
    preference_kind: Mapped[str | None] = mapped_column(String(16))
    shown_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    seconds_spent: Mapped[float | None]


class Judgment(Base):
    __tablename__ = "judgment"
    __table_args__ = (
        UniqueConstraint("annotator_id", "item_id", "option_id"),
        Index("ix_judgment_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotator.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("study_item.id", ondelete="CASCADE"))
    option_id: Mapped[int] = mapped_column(ForeignKey("study_option.id", ondelete="CASCADE"))
    # The verdict (db.queries.study.Verdict): True acceptable, False not acceptable, NULL
    # "can't judge" (a row exists only once answered), never counted as unacceptable.
    acceptable: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)  # optional, with cant_judge only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JudgmentEvent(Base):
    """Append-only: every change of an annotator's answers, with when it was made. Written
    by the answer queries (judgment, preference, submit, reopen); never updated."""

    __tablename__ = "judgment_event"
    __table_args__ = (
        Index("ix_judgment_event_annotator_item", "annotator_id", "item_id"),
        one_of("kind", JudgmentEventKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    annotator_id: Mapped[int] = mapped_column(ForeignKey("annotator.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("study_item.id", ondelete="CASCADE"))
    # The option judged (a verdict), or NULL for item-level events.
    option_id: Mapped[int | None] = mapped_column(ForeignKey("study_option.id", ondelete="CASCADE"))
    # verdict / preference / submit / reopen
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)
