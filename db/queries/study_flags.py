"""What the annotator flags are computed from (handsoff_core.statistics.annotator_flags):
per annotator their gold verdicts, time per item and verdicts on regular edits, all from
submitted items. Unblinded: never call from annotator pages.

Every annotator is listed, revoked ones too (so the administrator sees why a revoked
annotator was flagged); `revoked` lets the caller leave them out of the other annotators'
majority, as the counted-answer rule does. "Can't judge" verdicts are left out: they are
neither right nor wrong on gold, and no vote on an edit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from db.models import Annotator, Assignment, Judgment, StudyItem, StudyOption


@dataclass
class AnnotatorFlagData:
    annotator_id: int
    name: str
    revoked: bool
    gold_correct: int = 0
    gold_judged: int = 0
    seconds_per_item: list[float] = field(default_factory=list)  # submitted, timed items
    # option id of a regular item's edit -> acceptable?
    edit_verdicts: dict[int, bool] = field(default_factory=dict)


def annotator_flag_data(*, session: Session, study_id: int) -> list[AnnotatorFlagData]:
    """One record per annotator of the study, by name."""
    data = {
        annotator.id: AnnotatorFlagData(
            annotator.id, annotator.name, annotator.revoked_at is not None
        )
        for annotator in session.scalars(
            select(Annotator).where(Annotator.study_id == study_id).order_by(Annotator.name)
        )
    }
    for annotator_id, seconds in session.execute(
        select(Assignment.annotator_id, Assignment.seconds_spent)
        .join(Annotator, Annotator.id == Assignment.annotator_id)
        .where(
            Annotator.study_id == study_id,
            Assignment.completed_at.is_not(None),
            Assignment.seconds_spent.is_not(None),
        )
    ).all():
        if seconds is not None:  # filtered above; the column is nullable
            data[annotator_id].seconds_per_item.append(float(seconds))
    verdicts = session.execute(
        select(
            Judgment.annotator_id,
            Judgment.option_id,
            Judgment.acceptable,
            StudyItem.is_gold,
            StudyOption.expected_acceptable,
        )
        .join(StudyItem, StudyItem.id == Judgment.item_id)
        .join(StudyOption, StudyOption.id == Judgment.option_id)
        .join(
            Assignment,
            and_(
                Assignment.annotator_id == Judgment.annotator_id,
                Assignment.item_id == Judgment.item_id,
            ),
        )
        .where(
            StudyItem.study_id == study_id,
            Assignment.completed_at.is_not(None),
            Judgment.acceptable.is_not(None),
        )
    ).all()
    gold: dict[int, list[bool]] = defaultdict(list)
    for annotator_id, option_id, acceptable, is_gold, expected in verdicts:
        record = data[annotator_id]
        if is_gold:
            if expected is not None:
                gold[annotator_id].append(acceptable == expected)
        else:
            record.edit_verdicts[option_id] = bool(acceptable)
    for annotator_id, outcomes in gold.items():
        data[annotator_id].gold_judged = len(outcomes)
        data[annotator_id].gold_correct = sum(outcomes)
    return list(data.values())
