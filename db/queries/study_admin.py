"""The study administrator's figures: studies, progress, gold accuracy, time per item,
acceptability so far and the export of judgments. Unblinded: never call from annotator pages.

Every figure counts answers as the study views do (db/queries/study_counted.py): verdicts
on submitted items of annotators not revoked; can't-judge answers apart. Agreement is
`handsoff_core.statistics.agreement_summary` over `study_counted.agreement_table`, the same
call the report makes. The export keeps every stored judgment, with a `counted` column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from db import views
from db.models import (
    Annotator,
    Assignment,
    Judgment,
    MethodConfig,
    Sample,
    Study,
    StudyItem,
    StudyOption,
)
from db.queries.csv_safe import csv_text
from db.queries.reports_study import annotator_quality
from db.queries.study import SIDE_LABELS, Verdict


@dataclass(frozen=True)
class StudySummary:
    id: int
    name: str
    run_id: int
    methods: tuple[str, ...]  # "method@hash-prefix"
    items: int
    gold_items: int
    annotators: int
    judgments: int  # counted verdicts (acceptable or not)
    created_at: datetime
    cant_judge: int = 0  # counted can't-judge answers
    not_counted: int = 0  # stored answers not counted (open, reopened, revoked annotator)


@dataclass(frozen=True)
class AnnotatorStats:
    """One annotator's own submitted work (revoked ones too, marked)."""

    name: str
    revoked: bool
    assigned: int
    completed: int
    gold_judgments: int
    gold_correct: int
    median_seconds: float | None
    mean_seconds: float | None
    last_submitted_at: datetime | None
    judgments: int = 0  # verdicts on submitted items
    cant_judge: int = 0  # can't-judge answers on submitted items

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_judgments if self.gold_judgments else None


@dataclass(frozen=True)
class MethodAcceptability:
    method: str  # "method@hash-prefix"
    judgments: int  # counted verdicts
    acceptable: int
    cant_judge: int = 0  # counted can't-judge answers (not in `judgments`)

    @property
    def rate(self) -> float | None:
        return self.acceptable / self.judgments if self.judgments else None


def list_studies(*, session: Session) -> list[StudySummary]:
    configs = {config.id: config for config in session.scalars(select(MethodConfig))}
    items = dict(
        session.execute(
            select(StudyItem.study_id, func.count())
            .where(StudyItem.is_gold.is_(False))
            .group_by(StudyItem.study_id)
        ).all()
    )
    gold = dict(
        session.execute(
            select(StudyItem.study_id, func.count())
            .where(StudyItem.is_gold.is_(True))
            .group_by(StudyItem.study_id)
        ).all()
    )
    annotators = dict(
        session.execute(select(Annotator.study_id, func.count()).group_by(Annotator.study_id)).all()
    )
    view = views.judgments
    counted = view.c.counted == 1
    answers = {
        row[0]: row[1:]
        for row in session.execute(
            select(
                view.c.study_id,
                func.sum(case((counted & (view.c.verdict != Verdict.CANT_JUDGE.value), 1))),
                func.sum(case((counted & (view.c.verdict == Verdict.CANT_JUDGE.value), 1))),
                func.sum(case((~counted, 1))),
            ).group_by(view.c.study_id)
        ).all()
    }
    summaries = []
    for study in session.scalars(select(Study).order_by(Study.id)):
        labels = tuple(
            configs[cid].label if cid in configs else str(cid) for cid in study.method_config_ids
        )
        verdicts, cant_judge, not_counted = answers.get(study.id, (0, 0, 0))
        summaries.append(
            StudySummary(
                id=study.id,
                name=study.name,
                run_id=study.run_id,
                methods=labels,
                items=int(items.get(study.id, 0)),
                gold_items=int(gold.get(study.id, 0)),
                annotators=int(annotators.get(study.id, 0)),
                judgments=int(verdicts or 0),
                created_at=study.created_at,
                cant_judge=int(cant_judge or 0),
                not_counted=int(not_counted or 0),
            )
        )
    return summaries


def annotator_stats(*, session: Session, study_id: int) -> list[AnnotatorStats]:
    """Per annotator, from `v_annotator_quality` (the report's annotator table)."""
    last = dict(
        session.execute(
            select(Assignment.annotator_id, func.max(Assignment.completed_at))
            .join(Annotator, Annotator.id == Assignment.annotator_id)
            .where(Annotator.study_id == study_id)
            .group_by(Assignment.annotator_id)
        ).all()
    )
    return [
        AnnotatorStats(
            name=quality.name,
            revoked=quality.revoked,
            assigned=quality.assigned,
            completed=quality.completed,
            gold_judgments=quality.gold_judgments,
            gold_correct=quality.gold_correct,
            median_seconds=quality.median_seconds,
            mean_seconds=quality.mean_seconds,
            last_submitted_at=last.get(quality.annotator_id),
            judgments=quality.judgments,
            cant_judge=quality.cant_judge,
        )
        for quality in annotator_quality(session=session, study_id=study_id)
    ]


def acceptability_so_far(*, session: Session, study_id: int) -> list[MethodAcceptability]:
    """Counted verdicts per compared method, in the study's order (`v_method_acceptability`)."""
    study = session.get(Study, study_id)
    if study is None:
        return []
    view = views.method_acceptability
    counts = {
        int(row[0]): row[1:]
        for row in session.execute(
            select(
                view.c.method_config_id,
                view.c.n_judgments,
                view.c.n_acceptable,
                view.c.n_cant_judge,
            ).where(view.c.study_id == study_id)
        ).all()
    }
    config_ids = [int(cid) for cid in study.method_config_ids]
    configs = {
        config.id: config
        for config in session.scalars(select(MethodConfig).where(MethodConfig.id.in_(config_ids)))
    }
    return [
        MethodAcceptability(
            method=configs[cid].label,
            judgments=int(counts.get(cid, (0, 0, 0))[0] or 0),
            acceptable=int(counts.get(cid, (0, 0, 0))[1] or 0),
            cant_judge=int(counts.get(cid, (0, 0, 0))[2] or 0),
        )
        for cid in config_ids
        if cid in configs
    ]


EXPORT_COLUMNS = (
    "study",
    "annotator",
    "annotator_revoked",
    "item_id",
    "sample_external_id",
    "instruction",
    "is_gold",
    "option_position",
    "side_shown",
    "method",
    "config_hash",
    "edit_id",
    "gold_role",
    "expected_acceptable",
    "verdict",
    "acceptable",
    "reason",
    "preferred",
    "submitted",
    "counted",
    "seconds_spent",
    "created_at",
    "updated_at",
)


def judgment_export_rows(*, session: Session, study_id: int) -> list[dict[str, Any]]:
    """Every stored judgment of the study, unblinded; `counted` says whether it enters the
    figures (it is `v_judgments.counted`)."""
    counted = views.judgments.c
    rows = session.execute(
        select(
            Judgment,
            Annotator,
            StudyItem,
            StudyOption,
            Sample,
            Assignment,
            MethodConfig,
            counted.counted,
        )
        .join(Annotator, Annotator.id == Judgment.annotator_id)
        .join(StudyItem, StudyItem.id == Judgment.item_id)
        .join(StudyOption, StudyOption.id == Judgment.option_id)
        .join(Sample, Sample.id == StudyItem.sample_id)
        .join(
            Assignment,
            and_(
                Assignment.annotator_id == Judgment.annotator_id,
                Assignment.item_id == Judgment.item_id,
            ),
        )
        .join(views.judgments, counted.judgment_id == Judgment.id)
        .outerjoin(MethodConfig, MethodConfig.id == StudyOption.method_config_id)
        .where(StudyItem.study_id == study_id)
        .order_by(Annotator.name, Assignment.position, StudyOption.position)
    ).all()
    study = session.get(Study, study_id)
    exported = []
    for judgment, annotator, item, option, sample, assignment, config, is_counted in rows:
        side = SIDE_LABELS[option.position ^ int(assignment.swap_sides)]
        if assignment.preference_kind == "option":
            preferred = "yes" if assignment.preferred_option_id == option.id else "no"
        else:
            preferred = assignment.preference_kind or ""
        exported.append(
            {
                "study": study.name if study else study_id,
                "annotator": annotator.name,
                "annotator_revoked": annotator.revoked_at is not None,
                "item_id": item.id,
                "sample_external_id": sample.external_id,
                "instruction": sample.instruction,
                "is_gold": item.is_gold,
                "option_position": option.position,
                "side_shown": side,
                "method": config.method if config else "",
                "config_hash": config.config_hash if config else "",
                "edit_id": option.edit_id if option.edit_id is not None else "",
                "gold_role": option.gold_role or "",
                "expected_acceptable": (
                    "" if option.expected_acceptable is None else option.expected_acceptable
                ),
                "verdict": Verdict.stored(judgment.acceptable).value,
                "acceptable": "" if judgment.acceptable is None else judgment.acceptable,
                "reason": judgment.reason or "",
                "preferred": preferred,
                "submitted": assignment.completed_at is not None,
                "counted": bool(is_counted),
                "seconds_spent": assignment.seconds_spent,
                "created_at": judgment.created_at.isoformat(),
                "updated_at": judgment.updated_at.isoformat(),
            }
        )
    return exported


def judgments_csv(*, session: Session, study_id: int) -> str:
    """The export as CSV; text cells that a spreadsheet would run as formulas are
    neutralised (db/queries/csv_safe.py)."""
    return csv_text(judgment_export_rows(session=session, study_id=study_id), EXPORT_COLUMNS)
