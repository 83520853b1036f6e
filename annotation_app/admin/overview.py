"""The study overview: progress per annotator, gold accuracy, time per item, acceptability
and agreement so far, and the unblinded CSV export."""

from __future__ import annotations

import streamlit as st

from annotation_app import resources
from annotation_app.admin.sign_in import KEY
from db.engine import session_scope
from db.queries.study_admin import (
    acceptability_so_far,
    annotator_stats,
    judgments_csv,
)
from db.queries.study_counted import AgreementTable, agreement_table
from handsoff_core.statistics.agreement import AgreementSummary, Coefficient, agreement_summary


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def show_progress(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        annotators = annotator_stats(session=session, study_id=study_id)
    st.subheader("Progress per annotator")
    if not annotators:
        st.info("No annotators yet: `handsoff study add-annotator --study ID --name NAME`.")
        return
    st.dataframe(
        [
            {
                "annotator": a.name,
                "status": "revoked" if a.revoked else "active",
                "done": f"{a.completed} of {a.assigned}",
                "progress": percent(a.completed / a.assigned if a.assigned else None),
                "gold accuracy": percent(a.gold_accuracy),
                "gold judged": a.gold_judgments,
                "median time per item": seconds(a.median_seconds),
                "mean time per item": seconds(a.mean_seconds),
                "last submitted": (
                    a.last_submitted_at.strftime("%Y-%m-%d %H:%M UTC")
                    if a.last_submitted_at
                    else "–"
                ),
            }
            for a in annotators
        ],
        hide_index=True,
    )


def show_acceptability(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        methods = acceptability_so_far(session=session, study_id=study_id)
    st.subheader("Acceptability so far (submitted items, gold excluded)")
    st.dataframe(
        [
            {
                "method": m.method,
                "judgments": m.judgments,
                "acceptable": m.acceptable,
                "rate": percent(m.rate),
                "can't judge": m.cant_judge,
            }
            for m in methods
        ],
        hide_index=True,
    )


def interval(coefficient: Coefficient) -> str:
    if coefficient.low is None or coefficient.high is None:
        return f"{coefficient.statistic}: no interval ({coefficient.reason})"
    return f"{coefficient.statistic}: [{coefficient.low:.3f}, {coefficient.high:.3f}]"


@st.cache_data(max_entries=16, show_spinner=False)
def summarise(table: AgreementTable) -> AgreementSummary:
    # A table always gives the same summary (the bootstrap has a fixed seed), so a rerun of
    # the page need not resample it again; a new answer changes the table.
    return agreement_summary(table)


def show_agreement(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        # The report's own call on the report's own table (flows/report/study_agreement.py).
        agreement = summarise(agreement_table(session=session, study_id=study_id))
    st.subheader("Agreement so far")
    st.caption(
        f"{agreement.units} edits rated by two or more annotators, {agreement.ratings} counted "
        f"verdicts (can't judge left out); Fleiss' kappa on the "
        f"{len(agreement.fleiss.unit_ids)} edits rated by the most common number of annotators"
    )
    kappa, alpha = st.columns(2)
    kappa.metric(
        "Fleiss' kappa",
        "–" if agreement.fleiss_kappa is None else f"{agreement.fleiss_kappa:.3f}",
    )
    alpha.metric(
        "Krippendorff's alpha (nominal)",
        "–" if agreement.krippendorff_alpha is None else f"{agreement.krippendorff_alpha:.3f}",
    )
    st.caption(
        f"{agreement.confidence:.0%} bootstrap intervals over edits "
        f"({agreement.n_boot} resamples): {interval(agreement.fleiss)}; "
        f"{interval(agreement.alpha)}"
    )


def export_button(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        export = judgments_csv(session=session, study_id=study_id)
    st.download_button(
        "Export judgments (CSV)",
        data=export,
        file_name=f"study-{study_id}-judgments.csv",
        mime="text/csv",
        key=f"{KEY}export",
    )


def show_overview(study_id: int) -> None:
    show_progress(study_id)
    show_acceptability(study_id)
    show_agreement(study_id)
    export_button(study_id)
