"""Edits: written once per (sample, config, seed, setting), image and row in one transaction.

Idempotence lives in the database, not in application code: every write is an
`INSERT ... ON CONFLICT` on the edit's unique key, so two workers (or a rerun after a crash)
can never create a second row for the same key, and a done edit is never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from db.base import utcnow
from db.image_store import put_png
from db.models import Edit, EditStatus, Image, Sample, StudyOption
from db.upsert import dialect_insert

_EDIT_KEY = [Edit.sample_id, Edit.method_config_id, Edit.seed, Edit.setting]


@dataclass(frozen=True)
class EditState:
    id: int
    sample_id: int
    method_config_id: int
    status: str
    output_image: str | None
    attempts: int


@dataclass
class EditOutput:
    """What a method produced for one item, ready to store (PNG already encoded)."""

    png: bytes
    width: int
    height: int
    mode: str
    before_captions: list[str] = field(default_factory=list)
    after_captions: list[str] = field(default_factory=list)
    llm_raw_text: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def edit_states(
    *,
    session: Session,
    dataset_id: int,
    method_config_ids: Sequence[int],
    seed: int,
    setting: str,
) -> dict[tuple[int, int], EditState]:
    """Existing edits of a dataset for these configs, keyed by (sample_id, method_config_id)."""
    rows = session.execute(
        select(
            Edit.id,
            Edit.sample_id,
            Edit.method_config_id,
            Edit.status,
            Edit.output_image,
            Edit.attempts,
        )
        .join(Sample, Sample.id == Edit.sample_id)
        .where(
            Sample.dataset_id == dataset_id,
            Edit.method_config_id.in_(list(method_config_ids)),
            Edit.seed == seed,
            Edit.setting == setting,
        )
    ).all()
    return {(row.sample_id, row.method_config_id): EditState(*row) for row in rows}


def store_done_edit(
    *,
    session: Session,
    run_id: int,
    sample_id: int,
    method_config_id: int,
    seed: int,
    setting: str,
    output: EditOutput,
) -> int | None:
    """Store the output image and the edit row; return the edit id.

    A failed edit of the same key is turned into a done one (attempts + 1). Returns None
    when the key is already done: the caller must roll back, so the image written here
    does not survive without an edit that refers to it.
    """
    now = utcnow()
    digest = put_png(
        session=session, data=output.png, width=output.width, height=output.height, mode=output.mode
    )
    values: dict[str, Any] = {
        "run_id": run_id,
        "status": EditStatus.DONE.value,
        "output_image": digest,
        "before_captions": list(output.before_captions),
        "after_captions": list(output.after_captions),
        "llm_raw_text": output.llm_raw_text,
        "error": None,
        "timings": dict(output.timings),
        "notes": list(output.notes),
        "updated_at": now,
    }
    statement = (
        dialect_insert(session, Edit)
        .values(
            sample_id=sample_id,
            method_config_id=method_config_id,
            seed=seed,
            setting=setting,
            attempts=1,
            created_at=now,
            **values,
        )
        .on_conflict_do_update(
            index_elements=_EDIT_KEY,
            set_={**values, "attempts": Edit.attempts + 1},
            where=Edit.status != EditStatus.DONE.value,
        )
        .returning(Edit.id)
    )
    return session.scalar(statement)


def store_failed_edit(
    *,
    session: Session,
    run_id: int,
    sample_id: int,
    method_config_id: int,
    seed: int,
    setting: str,
    error: str,
    timings: dict[str, float] | None = None,
    notes: Iterable[str] = (),
    llm_raw_text: str | None = None,
) -> int | None:
    """Record a failed attempt (error text kept); a done edit is never downgraded."""
    now = utcnow()
    values: dict[str, Any] = {
        "run_id": run_id,
        "status": EditStatus.FAILED.value,
        "output_image": None,
        "error": error,
        "llm_raw_text": llm_raw_text,
        "timings": dict(timings or {}),
        "notes": list(notes),
        "updated_at": now,
    }
    statement = (
        dialect_insert(session, Edit)
        .values(
            sample_id=sample_id,
            method_config_id=method_config_id,
            seed=seed,
            setting=setting,
            attempts=1,
            created_at=now,
            before_captions=[],
            after_captions=[],
            **values,
        )
        .on_conflict_do_update(
            index_elements=_EDIT_KEY,
            set_={**values, "attempts": Edit.attempts + 1},
            where=Edit.status != EditStatus.DONE.value,
        )
        .returning(Edit.id)
    )
    return session.scalar(statement)


def edit_status_counts(
    *,
    session: Session,
    sample_ids: Sequence[int],
    method_config_ids: Sequence[int],
    seed: int,
    setting: str,
) -> dict[int, dict[str, int]]:
    """{method_config_id: {status: count}} over the given samples."""
    counts: dict[int, dict[str, int]] = {config_id: {} for config_id in method_config_ids}
    wanted = set(sample_ids)
    rows = session.execute(
        select(Edit.method_config_id, Edit.sample_id, Edit.status).where(
            Edit.method_config_id.in_(list(method_config_ids)),
            Edit.seed == seed,
            Edit.setting == setting,
        )
    )
    for config_id, sample_id, status in rows:
        if sample_id in wanted:
            per_config = counts.setdefault(config_id, {})
            per_config[status] = per_config.get(status, 0) + 1
    return counts


def orphan_images(*, session: Session) -> list[str]:
    """Images that nothing refers to (no sample, edit or study option): should be none."""
    referenced = union_all(
        select(Sample.source_image.label("sha256")),
        select(Sample.mask_image).where(Sample.mask_image.is_not(None)),
        select(Sample.target_image).where(Sample.target_image.is_not(None)),
        select(Edit.output_image).where(Edit.output_image.is_not(None)),
        select(StudyOption.image_sha256),
    ).subquery()
    return list(
        session.scalars(
            select(Image.sha256).where(Image.sha256.not_in(select(referenced.c.sha256)))
        )
    )


def duplicate_edit_keys(*, session: Session) -> int:
    """How many (sample, config, seed, setting) keys have more than one edit: must be 0."""
    grouped = (
        select(literal(1))
        .select_from(Edit)
        .group_by(*_EDIT_KEY)
        .having(func.count() > 1)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(grouped)) or 0)


def edit_outcomes(
    *, session: Session, config_ids: Sequence[int], seed: int, setting: str
) -> list[tuple[int, int, str, dict[str, Any] | None, str | None]]:
    """(sample id, config id, status, timings, error) of every edit of `config_ids` made
    with `seed` in `setting`."""
    rows = session.execute(
        select(Edit.sample_id, Edit.method_config_id, Edit.status, Edit.timings, Edit.error).where(
            Edit.method_config_id.in_(list(config_ids)),
            Edit.seed == seed,
            Edit.setting == setting,
        )
    ).all()
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]
