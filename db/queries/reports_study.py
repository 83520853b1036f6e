"""Report queries over a blind study, read through the report views (db/views.py): every
count is of counted answers (db/queries/study_counted.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import views
from db.models import Annotator, MethodConfig, Study, StudyItem
from db.queries.reports import fetch_frame
from db.queries.study import StudyNotFound
from db.queries.study_counted import answer_totals


@dataclass(frozen=True)
class StudyHeader:
    id: int
    name: str
    run_id: int
    method_config_ids: list[int]  # the compared configs, in the study's order
    methods: dict[int, str]  # method_config_id -> method name
    overlap: int
    items: int
    gold_items: int
    annotators: int
    judgments: int  # counted verdicts (acceptable or not)
    cant_judge: int  # counted can't-judge answers
    not_counted: int  # stored answers that do not count (open, reopened, revoked)


@dataclass(frozen=True)
class AnnotatorQuality:
    annotator_id: int
    name: str
    revoked: bool
    assigned: int
    completed: int
    judgments: int  # verdicts on submitted items
    cant_judge: int  # can't-judge answers on submitted items
    gold_judgments: int
    gold_correct: int
    gold_accuracy: float | None
    timed_items: int
    median_seconds: float | None
    mean_seconds: float | None


def get_study_header(*, session: Session, study_id: int) -> StudyHeader:
    study = session.get(Study, study_id)
    if study is None:
        known = list(session.scalars(select(Study.id).order_by(Study.id)))
        hint = f"; known studies: {', '.join(map(str, known))}" if known else "; there are none"
        raise StudyNotFound(f"no study with id {study_id}{hint}")
    config_ids = [int(c) for c in (study.method_config_ids or [])]
    methods = dict(
        session.execute(
            select(MethodConfig.id, MethodConfig.method).where(MethodConfig.id.in_(config_ids))
        ).all()
    )
    item_counts = dict(
        session.execute(
            select(StudyItem.is_gold, func.count())
            .where(StudyItem.study_id == study_id)
            .group_by(StudyItem.is_gold)
        ).all()
    )
    annotators = session.scalar(
        select(func.count()).select_from(Annotator).where(Annotator.study_id == study_id)
    )
    totals = answer_totals(session=session, study_id=study_id)
    return StudyHeader(
        id=study.id,
        name=study.name,
        run_id=study.run_id,
        method_config_ids=config_ids,
        methods={int(k): v for k, v in methods.items()},
        overlap=study.overlap,
        items=int(item_counts.get(False, 0)),
        gold_items=int(item_counts.get(True, 0)),
        annotators=int(annotators or 0),
        judgments=totals.verdicts,
        cant_judge=totals.cant_judge,
        not_counted=totals.not_counted,
    )


ITEM_COLUMNS = [
    "item_id",
    "sample_id",
    "is_gold",
    "option_id",
    "method_config_id",
    "method",
    "gold_role",
    "n_judgments",
    "n_acceptable",
    "n_cant_judge",
    "majority_acceptable",
]


def item_acceptability_frame(*, session: Session, study_id: int) -> pd.DataFrame:
    """Per item and option: counted verdicts, acceptable ones, can't-judge answers, majority
    vote (view `v_item_acceptability`); gold options have no method config."""
    view = views.item_acceptability
    statement = (
        select(*(view.c[name] for name in ITEM_COLUMNS))
        .where(view.c.study_id == study_id)
        .order_by(view.c.item_id, view.c.option_id)
    )
    frame = fetch_frame(session, statement, ITEM_COLUMNS)
    frame["is_gold"] = frame["is_gold"].astype(bool)
    for column in ("n_judgments", "n_acceptable", "n_cant_judge"):
        frame[column] = frame[column].astype("int64")
    return frame


@dataclass(frozen=True)
class PreferenceCounts:
    """Answers to "which is better?" on non-gold items."""

    by_config: dict[int, int]  # preferred option's method config -> answers
    by_kind: dict[str, int]  # "tie", "both_bad" (and "option" for gold-role options)


def preference_counts(*, session: Session, study_id: int) -> PreferenceCounts:
    view = views.preferences
    rows = session.execute(
        select(view.c.preferred_method_config_id, view.c.preference_kind, func.count())
        .where(view.c.study_id == study_id, view.c.is_gold == False)  # noqa: E712
        .group_by(view.c.preferred_method_config_id, view.c.preference_kind)
    ).all()
    by_config: dict[int, int] = {}
    by_kind: dict[str, int] = {}
    for config_id, kind, count in rows:
        if config_id is not None:
            by_config[int(config_id)] = by_config.get(int(config_id), 0) + int(count)
        else:
            by_kind[str(kind)] = by_kind.get(str(kind), 0) + int(count)
    return PreferenceCounts(by_config=by_config, by_kind=by_kind)


def completed_regular_assignments(*, session: Session, study_id: int) -> int:
    """Counted assignments of non-gold items (those holding counted answers: submitted, by
    an annotator not revoked): the denominator of preference shares."""
    view = views.judgments
    answered = (
        select(view.c.annotator_id, view.c.item_id)
        .where(view.c.study_id == study_id, view.c.counted == 1, view.c.is_gold == False)  # noqa: E712
        .distinct()
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(answered)) or 0)


def annotator_quality(*, session: Session, study_id: int) -> list[AnnotatorQuality]:
    view = views.annotator_quality
    rows = session.execute(
        select(view).where(view.c.study_id == study_id).order_by(view.c.annotator_name)
    ).mappings()
    return [
        AnnotatorQuality(
            annotator_id=int(row["annotator_id"]),
            name=row["annotator_name"],
            revoked=row["revoked_at"] is not None,
            assigned=int(row["n_assigned"]),
            completed=int(row["n_completed"]),
            judgments=int(row["n_judgments"]),
            cant_judge=int(row["n_cant_judge"]),
            gold_judgments=int(row["n_gold_judgments"]),
            gold_correct=int(row["n_gold_correct"]),
            gold_accuracy=_float(row["gold_accuracy"]),
            timed_items=int(row["n_timed"]),
            median_seconds=_float(row["median_seconds_per_item"]),
            mean_seconds=_float(row["mean_seconds_per_item"]),
        )
        for row in rows
    ]


def judgment_frame(*, session: Session, study_id: int) -> pd.DataFrame:
    """Every stored judgment, unblinded (view `v_judgments`, with its `counted` column), for
    export."""
    view = views.judgments
    columns = [c.name for c in view.c]
    statement = select(view).where(view.c.study_id == study_id).order_by(view.c.judgment_id)
    return fetch_frame(session, statement, columns)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
