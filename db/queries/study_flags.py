"""What the annotator flags are computed from (handsoff_core.statistics.annotator_flags).
Unblinded: never call from annotator pages.

Gold accuracy and time per item are the report's and the overview's own figures
(`v_annotator_quality`, through `reports_study.annotator_quality`), so a flag never rests on
another number than the one shown next to it. Verdicts on regular edits come from
`v_judgments`: the annotator's own submitted ones (revoked annotators too, so the
administrator sees why one was flagged), and separately the counted ones (its `counted`
column), which are all the other annotators' majority is made of. "Can't judge" is no vote
and is left out of both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import views
from db.queries.reports_study import annotator_quality
from db.queries.study import Verdict


@dataclass
class AnnotatorFlagData:
    annotator_id: int
    name: str
    revoked: bool
    gold_correct: int = 0
    gold_judged: int = 0  # gold verdicts on submitted items, can't judge left out
    median_seconds: float | None = None
    timed_items: int = 0
    # option id of a regular item's edit -> acceptable?, on submitted items
    edit_verdicts: dict[int, bool] = field(default_factory=dict)
    # the same, restricted to counted answers (empty for a revoked annotator)
    counted_edit_verdicts: dict[int, bool] = field(default_factory=dict)


def annotator_flag_data(*, session: Session, study_id: int) -> list[AnnotatorFlagData]:
    """One record per annotator of the study, by name."""
    data = {
        quality.annotator_id: AnnotatorFlagData(
            annotator_id=quality.annotator_id,
            name=quality.name,
            revoked=quality.revoked,
            gold_correct=quality.gold_correct,
            gold_judged=quality.gold_judgments,
            median_seconds=quality.median_seconds,
            timed_items=quality.timed_items,
        )
        for quality in annotator_quality(session=session, study_id=study_id)
    }
    view = views.judgments
    rows = session.execute(
        select(view.c.annotator_id, view.c.option_id, view.c.verdict, view.c.counted).where(
            view.c.study_id == study_id,
            view.c.is_gold == False,  # noqa: E712 (SQL comparison)
            view.c.method_config_id.is_not(None),
            view.c.submitted_at.is_not(None),
            view.c.verdict != Verdict.CANT_JUDGE.value,
        )
    ).all()
    for annotator_id, option_id, verdict, counted in rows:
        record = data[int(annotator_id)]
        acceptable = verdict == Verdict.ACCEPTABLE.value
        record.edit_verdicts[int(option_id)] = acceptable
        if counted:
            record.counted_edit_verdicts[int(option_id)] = acceptable
    return list(data.values())
