"""Counted answers, read from the study views: the Python side of the one definition.

A counted answer is a verdict on an item the annotator has submitted, by an annotator who
is not revoked (docs/study.md, "Counting"). Migration 0003 states the rule once, in SQL
(`COUNTED`), for every study view; `v_judgments.counted` carries it per judgment. Python
queries never restate it: they read that column or the views built on it, so the report,
the admin page and the exports cannot drift apart.

- `counted_judgments`: the judgments that count (acceptable, not acceptable, can't judge);
- `answer_totals`: a study's counted verdicts, counted can't-judge answers and answers not
  counted (open or reopened items, revoked annotators);
- `agreement_table`: the units x [not acceptable, acceptable] counts of counted verdicts on
  every regular edit, the one input of `handsoff_core.statistics.agreement_summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from db import views


def counted_judgments(study_id: int) -> Select[Any]:
    """Every column of `v_judgments` for the study's counted judgments."""
    view = views.judgments
    return select(view).where(view.c.study_id == study_id, view.c.counted == 1)


@dataclass(frozen=True)
class AnswerTotals:
    verdicts: int  # counted acceptable / not acceptable answers
    cant_judge: int  # counted "can't judge" answers (never a vote)
    not_counted: int  # answers stored but not counted: open or reopened items, revoked

    @property
    def stored(self) -> int:
        return self.verdicts + self.cant_judge + self.not_counted


def answer_totals(*, session: Session, study_id: int) -> AnswerTotals:
    view = views.judgments
    counted = view.c.counted == 1
    row = session.execute(
        select(
            func.coalesce(func.sum(case((counted & (view.c.verdict != "cant_judge"), 1))), 0),
            func.coalesce(func.sum(case((counted & (view.c.verdict == "cant_judge"), 1))), 0),
            func.coalesce(func.sum(case((~counted, 1))), 0),
        ).where(view.c.study_id == study_id)
    ).one()
    return AnswerTotals(verdicts=int(row[0]), cant_judge=int(row[1]), not_counted=int(row[2]))


# Column order of `AgreementTable.counts`.
AGREEMENT_CATEGORIES: tuple[str, str] = ("not_acceptable", "acceptable")


@dataclass(frozen=True)
class AgreementTable:
    """Counted verdicts per regular edit (one unit = one method's edit on one item, named by
    its study option id), can't-judge left out; units with no verdict are rows of zeros."""

    unit_ids: tuple[int, ...]
    counts: tuple[tuple[int, int], ...]  # (not acceptable, acceptable) per unit
    cant_judge: int = 0  # counted can't-judge answers on these edits, left out of `counts`


def agreement_table(*, session: Session, study_id: int) -> AgreementTable:
    """The table the report and the admin page compute agreement on (from
    `v_item_acceptability`: counted answers only)."""
    view = views.item_acceptability
    rows = session.execute(
        select(view.c.option_id, view.c.n_judgments, view.c.n_acceptable, view.c.n_cant_judge)
        .where(
            view.c.study_id == study_id,
            view.c.is_gold == False,  # noqa: E712 (SQL comparison)
            view.c.method_config_id.is_not(None),
        )
        .order_by(view.c.option_id)
    ).all()
    return AgreementTable(
        unit_ids=tuple(int(row[0]) for row in rows),
        counts=tuple((int(row[1]) - int(row[2]), int(row[2])) for row in rows),
        cant_judge=sum(int(row[3]) for row in rows),
    )
