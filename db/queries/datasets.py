"""Datasets and samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Dataset, Sample


class DatasetNotFound(LookupError):
    pass


@dataclass(frozen=True)
class DatasetSummary:
    id: int
    name: str
    source_format: str
    source_path: str | None
    samples: int
    sessions: int
    multi_turn_sessions: int


def get_or_create_dataset(
    *, session: Session, name: str, source_format: str, source_path: str | None
) -> tuple[Dataset, bool]:
    """The dataset called `name`, created if absent; the flag says whether it was created."""
    dataset = session.scalar(select(Dataset).where(Dataset.name == name))
    if dataset is not None:
        return dataset, False
    dataset = Dataset(name=name, source_format=source_format, source_path=source_path)
    session.add(dataset)
    session.flush()
    return dataset, True


def get_dataset(*, session: Session, name: str) -> Dataset:
    dataset = session.scalar(select(Dataset).where(Dataset.name == name))
    if dataset is None:
        known = session.scalars(select(Dataset.name).order_by(Dataset.name)).all()
        hint = f"; known datasets: {', '.join(known)}" if known else "; no dataset is imported yet"
        raise DatasetNotFound(f"no dataset named {name!r}{hint}")
    return dataset


def existing_external_ids(*, session: Session, dataset_id: int) -> set[str]:
    return set(session.scalars(select(Sample.external_id).where(Sample.dataset_id == dataset_id)))


def sample_count(*, session: Session, dataset_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Sample).where(Sample.dataset_id == dataset_id)
        )
        or 0
    )


def present_external_ids(
    *, session: Session, dataset_id: int, external_ids: Sequence[str]
) -> set[str]:
    """Which of `external_ids` the dataset has."""
    return set(
        session.scalars(
            select(Sample.external_id).where(
                Sample.dataset_id == dataset_id, Sample.external_id.in_(list(external_ids))
            )
        )
    )


def add_sample(*, session: Session, dataset_id: int, **fields: Any) -> Sample:
    sample = Sample(dataset_id=dataset_id, **fields)
    session.add(sample)
    return sample


def list_datasets(*, session: Session) -> list[DatasetSummary]:
    sessions_per_dataset = (
        select(
            Sample.dataset_id,
            Sample.session_id,
            func.count().label("turns"),
        )
        .group_by(Sample.dataset_id, Sample.session_id)
        .subquery()
    )
    stats = (
        select(
            sessions_per_dataset.c.dataset_id,
            func.sum(sessions_per_dataset.c.turns).label("samples"),
            func.count().label("sessions"),
            func.sum(func.cast(sessions_per_dataset.c.turns > 1, type_=func.count().type)).label(
                "multi"
            ),
        )
        .group_by(sessions_per_dataset.c.dataset_id)
        .subquery()
    )
    rows = session.execute(
        select(Dataset, stats.c.samples, stats.c.sessions, stats.c.multi)
        .outerjoin(stats, stats.c.dataset_id == Dataset.id)
        .order_by(Dataset.name)
    ).all()
    return [
        DatasetSummary(
            id=dataset.id,
            name=dataset.name,
            source_format=dataset.source_format,
            source_path=dataset.source_path,
            samples=int(samples or 0),
            sessions=int(sessions or 0),
            multi_turn_sessions=int(multi or 0),
        )
        for dataset, samples, sessions, multi in rows
    ]


def sample_masks_and_local_captions(
    *, session: Session, sample_ids: Sequence[int]
) -> dict[int, tuple[str | None, str | None]]:
    """{sample id: (mask sha256, local output caption)} for scoring's preservation and
    local CLIP-T metrics."""
    rows = session.execute(
        select(Sample.id, Sample.mask_image, Sample.output_caption_local).where(
            Sample.id.in_(list(sample_ids))
        )
    )
    return {row.id: (row.mask_image, row.output_caption_local) for row in rows}
