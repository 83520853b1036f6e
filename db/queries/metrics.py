"""Metric values of edits: (edit, metric, version, caption kind) stored once."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Edit, EditStatus, MetricValue, Sample
from db.upsert import insert_ignore


@dataclass(frozen=True)
class MetricRow:
    metric: str
    metric_version: str
    caption_kind: str  # global / local / none
    value: float | None
    not_applicable: str | None = None


@dataclass(frozen=True)
class DoneEdit:
    id: int
    sample_id: int
    method_config_id: int
    output_image: str
    after_captions: list[str]


@dataclass(frozen=True)
class MetricMean:
    method_config_id: int
    metric: str
    caption_kind: str
    metric_version: str
    mean: float | None
    values: int  # edits with a value
    not_applicable: int  # edits where the metric does not apply


def done_edits(
    *,
    session: Session,
    dataset_id: int,
    method_config_ids: Sequence[int],
    seed: int,
    setting: str,
) -> list[DoneEdit]:
    rows = session.execute(
        select(
            Edit.id, Edit.sample_id, Edit.method_config_id, Edit.output_image, Edit.after_captions
        )
        .join(Sample, Sample.id == Edit.sample_id)
        .where(
            Sample.dataset_id == dataset_id,
            Edit.method_config_id.in_(list(method_config_ids)),
            Edit.seed == seed,
            Edit.setting == setting,
            Edit.status == EditStatus.DONE.value,
        )
        .order_by(Edit.id)
    ).all()
    return [
        DoneEdit(
            id=row.id,
            sample_id=row.sample_id,
            method_config_id=row.method_config_id,
            output_image=row.output_image,
            after_captions=[str(c) for c in row.after_captions or []],
        )
        for row in rows
    ]


def scored_versions(
    *, session: Session, edit_ids: Sequence[int]
) -> dict[int, set[tuple[str, str]]]:
    """{edit id: {(metric, version)}} of the values already stored."""
    scored: dict[int, set[tuple[str, str]]] = {edit_id: set() for edit_id in edit_ids}
    wanted = set(edit_ids)
    # Chunked: SQLite limits the number of bound parameters of one statement.
    ids = sorted(wanted)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(MetricValue.edit_id, MetricValue.metric, MetricValue.metric_version).where(
                MetricValue.edit_id.in_(ids[start : start + 500])
            )
        )
        for edit_id, metric, version in rows:
            scored[edit_id].add((metric, version))
    return scored


def _value_or_reason(row: MetricRow) -> dict[str, float | str | None]:
    """A non-finite value (inf, NaN) is stored as not applicable with its reason: one such
    value would make every mean and interval over it meaningless."""
    if row.value is not None and not math.isfinite(row.value):
        return {"value": None, "not_applicable": f"non-finite value {row.value!r}"}
    return {"value": row.value, "not_applicable": row.not_applicable}


def insert_metric_values(*, session: Session, edit_id: int, values: Iterable[MetricRow]) -> int:
    """Insert values not stored yet (existing keys are left as they are); returns how many
    rows were offered."""
    rows = [
        {
            "edit_id": edit_id,
            "metric": value.metric,
            "metric_version": value.metric_version,
            "caption_kind": value.caption_kind,
            **_value_or_reason(value),
            "created_at": utcnow(),
        }
        for value in values
    ]
    if rows:
        session.execute(insert_ignore(session, MetricValue), rows)
    return len(rows)


def metric_means(*, session: Session, edit_ids: Sequence[int]) -> list[MetricMean]:
    """Mean of each (config, metric, caption kind, version) over the given edits."""
    ids = sorted(set(edit_ids))
    totals: dict[tuple[int, str, str, str], list[float]] = {}
    not_applicable: dict[tuple[int, str, str, str], int] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Edit.method_config_id,
                MetricValue.metric,
                MetricValue.caption_kind,
                MetricValue.metric_version,
                MetricValue.value,
            )
            .join(Edit, Edit.id == MetricValue.edit_id)
            .where(MetricValue.edit_id.in_(ids[start : start + 500]))
        )
        for config_id, metric, kind, version, value in rows:
            key = (config_id, metric, kind, version)
            totals.setdefault(key, [])
            if value is None:
                not_applicable[key] = not_applicable.get(key, 0) + 1
            elif math.isfinite(float(value)):  # old inf/NaN rows are left out of the mean
                totals[key].append(float(value))
    return [
        MetricMean(
            method_config_id=key[0],
            metric=key[1],
            caption_kind=key[2],
            metric_version=key[3],
            mean=sum(values) / len(values) if values else None,
            values=len(values),
            not_applicable=not_applicable.get(key, 0),
        )
        for key, values in sorted(totals.items())
    ]
