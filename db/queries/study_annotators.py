"""Annotators: tokens (stored hashed, reissued on request), personal random orders,
revocation, closing a study, sign-in by token."""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Annotator, Assignment, Study, StudyItem
from db.queries.study import (
    AnnotatorNotFound,
    StudyError,
    get_study,
    new_token,
    token_hash,
)
from db.queries.study_blinding import annotator_rng

MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class NewAnnotator:
    """An annotator just added. `token` exists only here: the database keeps its hash."""

    name: str
    token: str
    assigned: int  # items in this annotator's order, gold included


class AccessProblem(enum.StrEnum):
    UNKNOWN = "unknown"  # no annotator has this token
    REVOKED = "revoked"
    STUDY_CLOSED = "study_closed"  # the study accepts no more answers


@dataclass(frozen=True)
class AnnotatorAccess:
    annotator_id: int
    study_id: int
    name: str


def check_annotator_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise StudyError("an annotator name must not be empty")
    if len(cleaned) > MAX_NAME_CHARS:
        raise StudyError(f"annotator name {cleaned[:20]!r}… is longer than {MAX_NAME_CHARS}")
    return cleaned


def create_annotator(*, session: Session, study_id: int, name: str) -> tuple[Annotator, str]:
    """A new annotator and their token (returned once, stored only as its sha256)."""
    name = check_annotator_name(name)
    taken = session.scalar(
        select(Annotator.id).where(Annotator.study_id == study_id, Annotator.name == name)
    )
    if taken is not None:
        raise StudyError(f"study {study_id} already has an annotator named {name!r}")
    token = new_token()
    annotator = Annotator(study_id=study_id, name=name, token_hash=token_hash(token))
    session.add(annotator)
    session.flush()
    return annotator, token


def assign_items(
    *, session: Session, annotator_id: int, item_ids: Sequence[int], rng: random.Random
) -> int:
    """Give the annotator `item_ids` in their own random order, each with random sides
    (drawn per assignment, whatever order the methods were named in)."""
    order = list(item_ids)
    rng.shuffle(order)
    session.add_all(
        Assignment(
            annotator_id=annotator_id,
            item_id=item_id,
            position=position,
            swap_sides=rng.random() < 0.5,
        )
        for position, item_id in enumerate(order)
    )
    session.flush()
    return len(order)


def add_annotator(
    *, session: Session, study: int | str, name: str, items: int | None = None
) -> NewAnnotator:
    """Add an annotator to an existing study and assign them work.

    They get every gold item, plus the regular items least covered by active (not revoked)
    annotators: by default every item still below the study's overlap (so a replacement
    takes over a revoked annotator's items), or, when all are covered, as many as an active
    annotator has on average. `items` sets the number of regular items instead.
    """
    found = get_study(session=session, study=study)
    if items is not None and items < 0:
        raise StudyError(f"--items must be at least 0, got {items}")
    annotator, token = create_annotator(session=session, study_id=found.id, name=name)
    rng = annotator_rng(study=found, annotator=annotator)
    regular = _regular_items_by_coverage(session=session, study=found, rng=rng)
    if items is None:
        below_overlap = [item_id for item_id, covered in regular if covered < found.overlap]
        items = len(below_overlap) if below_overlap else _average_load(session, found.id)
    if items > len(regular):
        raise StudyError(f"study {found.name!r} has only {len(regular)} items, asked for {items}")
    chosen = [item_id for item_id, _ in regular[:items]]
    gold = session.scalars(
        select(StudyItem.id).where(StudyItem.study_id == found.id, StudyItem.is_gold)
    ).all()
    assigned = assign_items(
        session=session, annotator_id=annotator.id, item_ids=[*chosen, *gold], rng=rng
    )
    return NewAnnotator(name=annotator.name, token=token, assigned=assigned)


def _regular_items_by_coverage(
    *, session: Session, study: Study, rng: random.Random
) -> list[tuple[int, int]]:
    """(item id, active annotators) of the regular items, least covered first, ties random."""
    active = (
        select(Assignment.item_id, func.count().label("covered"))
        .join(Annotator, Annotator.id == Assignment.annotator_id)
        .where(Annotator.study_id == study.id, Annotator.revoked_at.is_(None))
        .group_by(Assignment.item_id)
        .subquery()
    )
    rows = session.execute(
        select(StudyItem.id, func.coalesce(active.c.covered, 0))
        .outerjoin(active, active.c.item_id == StudyItem.id)
        .where(StudyItem.study_id == study.id, StudyItem.is_gold.is_(False))
        .order_by(StudyItem.id)
    ).all()
    keyed = [(int(covered), rng.random(), int(item_id)) for item_id, covered in rows]
    keyed.sort()
    return [(item_id, covered) for covered, _, item_id in keyed]


def _average_load(session: Session, study_id: int) -> int:
    per_annotator = (
        select(func.count(Assignment.id).label("load"))
        .join(Annotator, Annotator.id == Assignment.annotator_id)
        .join(StudyItem, StudyItem.id == Assignment.item_id)
        .where(
            Annotator.study_id == study_id,
            Annotator.revoked_at.is_(None),
            StudyItem.is_gold.is_(False),
        )
        .group_by(Annotator.id)
        .subquery()
    )
    mean = session.scalar(select(func.avg(per_annotator.c.load)))
    return max(1, math.ceil(float(mean))) if mean else 1


def _annotator_named(session: Session, study: Study, name: str) -> Annotator:
    annotator = session.scalar(
        select(Annotator).where(Annotator.study_id == study.id, Annotator.name == name.strip())
    )
    if annotator is None:
        raise AnnotatorNotFound(f"study {study.name!r} has no annotator named {name!r}")
    return annotator


def revoke_annotator(*, session: Session, study: int | str, name: str) -> bool:
    """Withdraw an annotator's link; their answers stay. False if already revoked."""
    found = get_study(session=session, study=study)
    annotator = _annotator_named(session, found, name)
    if annotator.revoked_at is not None:
        return False
    annotator.revoked_at = utcnow()
    session.flush()
    return True


def reissue_token(*, session: Session, study: int | str, name: str) -> NewAnnotator:
    """A new token for the same annotator (a lost link cannot be recovered: only hashes
    are stored). The old token stops working at once; assignments and answers stay."""
    found = get_study(session=session, study=study)
    annotator = _annotator_named(session, found, name)
    if annotator.revoked_at is not None:
        # A revoked annotator's answers are not counted; a new link must not undo that.
        raise StudyError(
            f"annotator {annotator.name!r} of study {found.name!r} is revoked: "
            "add a new annotator instead"
        )
    token = new_token()
    annotator.token_hash = token_hash(token)
    session.flush()
    assigned = session.scalar(
        select(func.count(Assignment.id)).where(Assignment.annotator_id == annotator.id)
    )
    return NewAnnotator(name=annotator.name, token=token, assigned=int(assigned or 0))


def close_study(*, session: Session, study: int | str) -> bool:
    """Stop accepting answers (every link then shows the closed page; answers stay).
    False if it was closed already."""
    found = get_study(session=session, study=study)
    if found.closed_at is not None:
        return False
    found.closed_at = utcnow()
    session.flush()
    return True


def authenticate(*, session: Session, token: str) -> AnnotatorAccess | AccessProblem:
    """Who holds this token, or why nobody may use it. Writes nothing."""
    annotator = session.scalar(select(Annotator).where(Annotator.token_hash == token_hash(token)))
    if annotator is None:
        return AccessProblem.UNKNOWN
    if annotator.revoked_at is not None:
        return AccessProblem.REVOKED
    if session.scalar(select(Study.closed_at).where(Study.id == annotator.study_id)) is not None:
        return AccessProblem.STUDY_CLOSED
    return AnnotatorAccess(
        annotator_id=annotator.id, study_id=annotator.study_id, name=annotator.name
    )
