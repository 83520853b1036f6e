"""The study administrator's view: progress, gold accuracy, time per item, agreement so far,
acceptability so far and the export of judgments. Unblinded: never call from annotator pages.

Only judgments of submitted items count in the statistics (an open item's answers may still
change); the export carries every judgment with a `submitted` column.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

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
from db.queries.study import SIDE_LABELS
from db.queries.study_agreement import Agreement, agreement_of


@dataclass(frozen=True)
class StudySummary:
    id: int
    name: str
    run_id: int
    methods: tuple[str, ...]  # "method@hash-prefix"
    items: int
    gold_items: int
    annotators: int
    judgments: int
    created_at: datetime


@dataclass(frozen=True)
class AnnotatorStats:
    name: str
    revoked: bool
    assigned: int
    completed: int
    gold_judgments: int
    gold_correct: int
    median_seconds: float | None
    mean_seconds: float | None
    last_submitted_at: datetime | None

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_judgments if self.gold_judgments else None


@dataclass(frozen=True)
class MethodAcceptability:
    method: str  # "method@hash-prefix"
    judgments: int
    acceptable: int

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
    judgments = dict(
        session.execute(
            select(Annotator.study_id, func.count(Judgment.id))
            .join(Judgment, Judgment.annotator_id == Annotator.id)
            .group_by(Annotator.study_id)
        ).all()
    )
    summaries = []
    for study in session.scalars(select(Study).order_by(Study.id)):
        labels = tuple(
            f"{configs[cid].method}@{configs[cid].config_hash[:8]}" if cid in configs else str(cid)
            for cid in study.method_config_ids
        )
        summaries.append(
            StudySummary(
                id=study.id,
                name=study.name,
                run_id=study.run_id,
                methods=labels,
                items=int(items.get(study.id, 0)),
                gold_items=int(gold.get(study.id, 0)),
                annotators=int(annotators.get(study.id, 0)),
                judgments=int(judgments.get(study.id, 0)),
                created_at=study.created_at,
            )
        )
    return summaries


def annotator_stats(*, session: Session, study_id: int) -> list[AnnotatorStats]:
    annotators = session.scalars(
        select(Annotator).where(Annotator.study_id == study_id).order_by(Annotator.name)
    ).all()
    assignments = session.execute(
        select(Assignment.annotator_id, Assignment.completed_at, Assignment.seconds_spent)
        .join(Annotator, Annotator.id == Assignment.annotator_id)
        .where(Annotator.study_id == study_id)
    ).all()
    gold = session.execute(
        select(Judgment.annotator_id, Judgment.acceptable, StudyOption.expected_acceptable)
        .join(StudyOption, StudyOption.id == Judgment.option_id)
        .join(Annotator, Annotator.id == Judgment.annotator_id)
        .join(
            Assignment,
            and_(
                Assignment.annotator_id == Judgment.annotator_id,
                Assignment.item_id == Judgment.item_id,
            ),
        )
        .where(
            Annotator.study_id == study_id,
            StudyOption.expected_acceptable.is_not(None),
            Assignment.completed_at.is_not(None),
        )
    ).all()
    assigned: dict[int, int] = defaultdict(int)
    seconds: dict[int, list[float]] = defaultdict(list)
    last: dict[int, datetime] = {}
    for annotator_id, completed_at, seconds_spent in assignments:
        assigned[annotator_id] += 1
        if completed_at is not None:
            seconds[annotator_id].append(float(seconds_spent or 0.0))
            if annotator_id not in last or completed_at > last[annotator_id]:
                last[annotator_id] = completed_at
    gold_total: dict[int, int] = defaultdict(int)
    gold_correct: dict[int, int] = defaultdict(int)
    for annotator_id, acceptable, expected in gold:
        gold_total[annotator_id] += 1
        gold_correct[annotator_id] += int(acceptable == expected)
    return [
        AnnotatorStats(
            name=annotator.name,
            revoked=annotator.revoked_at is not None,
            assigned=assigned[annotator.id],
            completed=len(seconds[annotator.id]),
            gold_judgments=gold_total[annotator.id],
            gold_correct=gold_correct[annotator.id],
            median_seconds=statistics.median(seconds[annotator.id])
            if seconds[annotator.id]
            else None,
            mean_seconds=statistics.fmean(seconds[annotator.id]) if seconds[annotator.id] else None,
            last_submitted_at=last.get(annotator.id),
        )
        for annotator in annotators
    ]


def _submitted_method_judgments(session: Session, study_id: int) -> list[Any]:
    """(item id, option id, method config id, annotator id, acceptable) of submitted
    judgments on regular items."""
    return list(
        session.execute(
            select(
                Judgment.item_id,
                Judgment.option_id,
                StudyOption.method_config_id,
                Judgment.annotator_id,
                Judgment.acceptable,
            )
            .join(StudyOption, StudyOption.id == Judgment.option_id)
            .join(StudyItem, StudyItem.id == Judgment.item_id)
            .join(
                Assignment,
                and_(
                    Assignment.annotator_id == Judgment.annotator_id,
                    Assignment.item_id == Judgment.item_id,
                ),
            )
            .where(
                StudyItem.study_id == study_id,
                StudyItem.is_gold.is_(False),
                Assignment.completed_at.is_not(None),
            )
        ).all()
    )


def acceptability_so_far(*, session: Session, study_id: int) -> list[MethodAcceptability]:
    study = session.get(Study, study_id)
    if study is None:
        return []
    counts: dict[int, list[int]] = {int(cid): [0, 0] for cid in study.method_config_ids}
    for _, _, config_id, _, acceptable in _submitted_method_judgments(session, study_id):
        counts.setdefault(config_id, [0, 0])
        counts[config_id][0] += 1
        counts[config_id][1] += int(acceptable)
    configs = {
        config.id: config
        for config in session.scalars(select(MethodConfig).where(MethodConfig.id.in_(counts)))
    }
    return [
        MethodAcceptability(
            method=f"{configs[cid].method}@{configs[cid].config_hash[:8]}",
            judgments=judged,
            acceptable=acceptable,
        )
        for cid, (judged, acceptable) in counts.items()
        if cid in configs
    ]


def agreement_so_far(*, session: Session, study_id: int) -> Agreement:
    """Agreement on "acceptable?" over the edits of regular items (each edit is one unit)."""
    ratings: dict[int, dict[int, bool]] = defaultdict(dict)
    for _, option_id, _, annotator_id, acceptable in _submitted_method_judgments(session, study_id):
        ratings[option_id][annotator_id] = acceptable
    return agreement_of(list(ratings.values()))


EXPORT_COLUMNS = (
    "study",
    "annotator",
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
    "acceptable",
    "preferred",
    "submitted",
    "seconds_spent",
    "created_at",
    "updated_at",
)


def judgment_export_rows(*, session: Session, study_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Judgment, Annotator, StudyItem, StudyOption, Sample, Assignment, MethodConfig)
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
        .outerjoin(MethodConfig, MethodConfig.id == StudyOption.method_config_id)
        .where(StudyItem.study_id == study_id)
        .order_by(Annotator.name, Assignment.position, StudyOption.position)
    ).all()
    study = session.get(Study, study_id)
    exported = []
    for judgment, annotator, item, option, sample, assignment, config in rows:
        side = SIDE_LABELS[option.position ^ int(assignment.swap_sides)]
        if assignment.preference_kind == "option":
            preferred = "yes" if assignment.preferred_option_id == option.id else "no"
        else:
            preferred = assignment.preference_kind or ""
        exported.append(
            {
                "study": study.name if study else study_id,
                "annotator": annotator.name,
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
                "acceptable": judgment.acceptable,
                "preferred": preferred,
                "submitted": assignment.completed_at is not None,
                "seconds_spent": assignment.seconds_spent,
                "created_at": judgment.created_at.isoformat(),
                "updated_at": judgment.updated_at.isoformat(),
            }
        )
    return exported


def judgments_csv(*, session: Session, study_id: int) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(judgment_export_rows(session=session, study_id=study_id))
    return buffer.getvalue()
