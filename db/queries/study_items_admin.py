"""One study item as the administrator sees it: the input, both options with their method
(or gold role), and every annotator's answers. Unblinded: never call from annotator pages.

Items are numbered 1..N in a fixed order (regular items, then gold items, each by id), the
same for every administrator. Whether an answer is counted is read from `v_judgments.counted`
(db/queries/study_counted.py), never restated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import views
from db.models import (
    Annotator,
    Assignment,
    Image,
    Judgment,
    MethodConfig,
    Sample,
    StudyItem,
    StudyOption,
)
from db.queries.study import PREFERENCE_OPTION, SIDE_LABELS, StudyError, Verdict


@dataclass(frozen=True)
class AdminOption:
    id: int
    position: int  # canonical order (the sides A/B differ per annotator)
    method: str | None  # the config's label (MethodConfig.label) for a method's edit
    gold_role: str | None  # gold_source / gold_target on gold items
    expected_acceptable: bool | None
    image_sha256: str

    @property
    def label(self) -> str:
        if self.method is not None:
            return self.method
        return {"gold_source": "gold: unedited source", "gold_target": "gold: target"}.get(
            self.gold_role or "", f"option {self.position}"
        )


@dataclass(frozen=True)
class OptionAnswer:
    verdict: Verdict
    reason: str | None


@dataclass(frozen=True)
class AnnotatorAnswers:
    annotator: str
    revoked: bool
    submitted: bool
    side_of: dict[int, str]  # option position -> the side label this annotator saw
    verdicts: dict[int, OptionAnswer]  # option position -> answer (absent: not answered)
    preference: str | None  # an option position as "0"/"1", "tie", "both_bad" or None
    seconds_spent: float | None
    completed_at: datetime | None
    counted: bool  # the study views count this annotator's answers on the item


@dataclass(frozen=True)
class AdminItem:
    number: int  # 1-based, in `study_item_ids` order
    total: int
    item_id: int
    is_gold: bool
    sample_external_id: str
    instruction: str
    source_sha256: str
    options: tuple[AdminOption, ...]  # by position
    answers: tuple[AnnotatorAnswers, ...]  # by annotator name


def study_item_ids(*, session: Session, study_id: int) -> list[int]:
    """The study's item ids in the order the administrator numbers them."""
    return list(
        session.scalars(
            select(StudyItem.id)
            .where(StudyItem.study_id == study_id)
            .order_by(StudyItem.is_gold, StudyItem.id)
        )
    )


def _options(session: Session, item_id: int) -> tuple[AdminOption, ...]:
    rows = session.execute(
        select(StudyOption, MethodConfig)
        .outerjoin(MethodConfig, MethodConfig.id == StudyOption.method_config_id)
        .where(StudyOption.item_id == item_id)
        .order_by(StudyOption.position)
    ).all()
    return tuple(
        AdminOption(
            id=option.id,
            position=option.position,
            method=config.label if config else None,
            gold_role=option.gold_role,
            expected_acceptable=option.expected_acceptable,
            image_sha256=option.image_sha256,
        )
        for option, config in rows
    )


def _answers(
    session: Session, item_id: int, options: tuple[AdminOption, ...]
) -> tuple[AnnotatorAnswers, ...]:
    position_of = {option.id: option.position for option in options}
    verdicts: dict[int, dict[int, OptionAnswer]] = {}
    view = views.judgments
    counted = {
        int(annotator_id)
        for (annotator_id,) in session.execute(
            select(view.c.annotator_id).where(view.c.item_id == item_id, view.c.counted == 1)
        ).all()
    }
    for annotator_id, option_id, acceptable, reason in session.execute(
        select(
            Judgment.annotator_id, Judgment.option_id, Judgment.acceptable, Judgment.reason
        ).where(Judgment.item_id == item_id)
    ).all():
        verdicts.setdefault(annotator_id, {})[position_of[option_id]] = OptionAnswer(
            Verdict.stored(acceptable), reason
        )
    answers = []
    for assignment, annotator in session.execute(
        select(Assignment, Annotator)
        .join(Annotator, Annotator.id == Assignment.annotator_id)
        .where(Assignment.item_id == item_id)
        .order_by(Annotator.name)
    ).all():
        preference: str | None
        if assignment.preference_kind == PREFERENCE_OPTION:
            preference = str(position_of.get(assignment.preferred_option_id or -1, ""))
        else:
            preference = assignment.preference_kind
        answers.append(
            AnnotatorAnswers(
                annotator=annotator.name,
                revoked=annotator.revoked_at is not None,
                submitted=assignment.completed_at is not None,
                side_of={
                    option.position: SIDE_LABELS[option.position ^ int(assignment.swap_sides)]
                    for option in options
                },
                verdicts=verdicts.get(annotator.id, {}),
                preference=preference or None,
                seconds_spent=assignment.seconds_spent,
                completed_at=assignment.completed_at,
                counted=annotator.id in counted,
            )
        )
    return tuple(answers)


def admin_item(*, session: Session, study_id: int, number: int) -> AdminItem:
    """Item `number` (1-based) of the study; StudyError if there is no such item."""
    item_ids = study_item_ids(session=session, study_id=study_id)
    if not 1 <= number <= len(item_ids):
        raise StudyError(f"study {study_id} has no item {number} (it has {len(item_ids)})")
    item_id = item_ids[number - 1]
    item, sample = session.execute(
        select(StudyItem, Sample)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .where(StudyItem.id == item_id)
    ).one()
    options = _options(session, item_id)
    return AdminItem(
        number=number,
        total=len(item_ids),
        item_id=item_id,
        is_gold=item.is_gold,
        sample_external_id=sample.external_id,
        instruction=sample.instruction,
        source_sha256=sample.source_image,
        options=options,
        answers=_answers(session, item_id, options),
    )


def image_png(*, session: Session, sha256: str) -> bytes | None:
    """The stored PNG bytes of an image (None if it is missing)."""
    return session.scalar(select(Image.data).where(Image.sha256 == sha256))
