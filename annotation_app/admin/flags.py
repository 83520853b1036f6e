"""Annotators flagged for low gold accuracy, implausibly fast answers, or agreement with the
other annotators' majority no better than chance (handsoff_core.statistics.annotator_flags).
"""

from __future__ import annotations

import streamlit as st

from annotation_app import resources
from annotation_app.annotator.text import escape_markdown
from db.engine import session_scope
from db.queries.study_flags import AnnotatorFlagData, annotator_flag_data
from handsoff_core.statistics.annotator_flags import (
    AnnotatorFlags,
    FlagThresholds,
    annotator_flags,
)

THRESHOLDS = FlagThresholds()


def flags_of(records: list[AnnotatorFlagData]) -> list[tuple[AnnotatorFlagData, AnnotatorFlags]]:
    """Each annotator's flags; the majority an annotator is compared with is made of the
    other annotators' counted answers (so never of a revoked annotator's)."""
    flagged = []
    for record in records:
        others: dict[int, list[bool]] = {}
        for other in records:
            if other.annotator_id == record.annotator_id or other.revoked:
                continue
            for option_id, verdict in other.counted_edit_verdicts.items():
                others.setdefault(option_id, []).append(verdict)
        flags = annotator_flags(
            gold_correct=record.gold_correct,
            gold_judged=record.gold_judged,
            median_seconds=record.median_seconds,
            timed_items=record.timed_items,
            own_verdicts=record.edit_verdicts,
            others_verdicts=others,
            thresholds=THRESHOLDS,
        )
        flagged.append((record, flags))
    return flagged


def _gold(flags: AnnotatorFlags) -> str:
    gold = flags.gold
    if gold.accuracy is None:
        return "–"
    return f"{100 * gold.accuracy:.0f}% ({gold.correct} of {gold.judged})"


def _speed(flags: AnnotatorFlags) -> str:
    speed = flags.speed
    if speed.median_seconds is None:
        return "–"
    return f"{speed.median_seconds:.1f} s ({speed.items} items)"


def _agreement(flags: AnnotatorFlags) -> str:
    majority = flags.majority
    if majority.rate is None or majority.chance is None:
        return "–"
    text = (
        f"{majority.agreements} of {majority.units} ({100 * majority.rate:.0f}%), "
        f"chance {100 * majority.chance:.0f}%"
    )
    if majority.p_value is None:
        return f"{text}, too few edits to test"
    return f"{text}, p = {majority.p_value:.3f}"


def show_flags(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        records = annotator_flag_data(session=session, study_id=study_id)
    st.subheader("Annotator flags")
    t = THRESHOLDS
    st.caption(
        f"Flagged: gold accuracy below {100 * t.min_gold_accuracy:.0f}% (from "
        f"{t.min_gold_judgments} gold verdicts); median time per item below "
        f"{t.min_median_seconds:g} s (from {t.min_timed_items} items); agreement with the "
        "majority of the other, non-revoked annotators on the same edits no better than "
        "the chance rate their base rates predict: one-sided exact binomial test, "
        f"flagged when p ≥ {t.agreement_alpha:g} (from {t.min_agreement_units} edits). "
        "Submitted items only; can't-judge verdicts left out."
    )
    if not records:
        st.info("No annotators yet.")
        return
    rows = flags_of(records)
    flagged = [record.name for record, flags in rows if flags.reasons]
    if flagged:
        names = ", ".join(escape_markdown(name) for name in flagged)
        st.warning(f"{len(flagged)} of {len(rows)} annotators flagged: {names}")
    else:
        st.success(f"No annotator flagged ({len(rows)} checked).")
    st.dataframe(
        [
            {
                "annotator": record.name,
                "status": "revoked" if record.revoked else "active",
                "flags": ", ".join(flags.reasons) or "–",
                "gold accuracy": _gold(flags),
                "median time per item": _speed(flags),
                "agreement with the others' majority": _agreement(flags),
            }
            for record, flags in rows
        ],
        hide_index=True,
    )
