"""What an image export reads: a run's edits with their output image and captions, and the
metric values of those edits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Edit, MetricValue


@dataclass(frozen=True)
class ExportedEdit:
    edit_id: int
    sample_id: int
    method_config_id: int
    status: str
    output_image: str | None  # sha256; None for a failed edit
    before_captions: list[Any]
    after_captions: list[Any]
    llm_raw_text: str | None
    error: str | None


def run_edits(
    *,
    session: Session,
    config_ids: Sequence[int],
    sample_ids: Sequence[int],
    seed: int,
    setting: str,
) -> list[ExportedEdit]:
    """Every stored edit of `config_ids` on `sample_ids` made with `seed` in `setting`."""
    rows = session.scalars(
        select(Edit)
        .where(
            Edit.method_config_id.in_(list(config_ids)),
            Edit.sample_id.in_(list(sample_ids)),
            Edit.seed == seed,
            Edit.setting == setting,
        )
        .order_by(Edit.sample_id, Edit.method_config_id)
    )
    return [
        ExportedEdit(
            edit_id=edit.id,
            sample_id=edit.sample_id,
            method_config_id=edit.method_config_id,
            status=edit.status,
            output_image=edit.output_image,
            before_captions=list(edit.before_captions or []),
            after_captions=list(edit.after_captions or []),
            llm_raw_text=edit.llm_raw_text,
            error=edit.error,
        )
        for edit in rows
    ]


def edit_metric_values(
    *, session: Session, edit_ids: Sequence[int]
) -> dict[int, dict[str, float | None]]:
    """{edit id: {"metric" or "metric/caption kind": value}} (None where not applicable)."""
    values: dict[int, dict[str, float | None]] = {}
    rows = session.execute(
        select(MetricValue.edit_id, MetricValue.metric, MetricValue.caption_kind, MetricValue.value)
        .where(MetricValue.edit_id.in_(list(edit_ids)))
        .order_by(MetricValue.edit_id, MetricValue.metric, MetricValue.caption_kind)
    )
    for edit_id, metric, kind, value in rows:
        key = metric if kind == "none" else f"{metric}/{kind}"
        values.setdefault(edit_id, {})[key] = value
    return values
