"""The administrator's page: progress per annotator, gold accuracy, time per item,
acceptability and agreement so far, and the export of every judgment as CSV.

Guarded by the admin password from the settings (HANDSOFF_ADMIN_PASSWORD); the demo's
default password is refused outside the demo environment.
"""

from __future__ import annotations

import hmac

import streamlit as st

from annotation_app import resources
from db.engine import session_scope
from db.queries.study_admin import (
    acceptability_so_far,
    agreement_so_far,
    annotator_stats,
    judgments_csv,
    list_studies,
)

KEY = "admin_"  # prefix of this page's session-state keys


def refuse_default_password() -> None:
    settings = resources.settings()
    if settings.environment != "demo" and settings.admin_password_is_default():
        st.title("Study administration")
        st.error(
            "The admin page is disabled: the admin password is still the demo default. "
            "Set HANDSOFF_ADMIN_PASSWORD (or run the demo with HANDSOFF_ENVIRONMENT=demo)."
        )
        st.stop()


def require_sign_in() -> None:
    if st.session_state.get(f"{KEY}signed_in"):
        return
    st.title("Study administration")
    with st.form(f"{KEY}sign_in"):
        password = st.text_input("Admin password", type="password", key=f"{KEY}password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        expected = resources.settings().admin_password.get_secret_value()
        if hmac.compare_digest(password.encode(), expected.encode()):
            st.session_state[f"{KEY}signed_in"] = True
            st.session_state.pop(f"{KEY}password", None)
            st.rerun()
        st.error("Wrong password.")
    st.stop()


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def show_study(study_id: int) -> None:
    with session_scope(resources.engine()) as session:
        annotators = annotator_stats(session=session, study_id=study_id)
        methods = acceptability_so_far(session=session, study_id=study_id)
        agreement = agreement_so_far(session=session, study_id=study_id)
        export = judgments_csv(session=session, study_id=study_id)

    st.subheader("Progress per annotator")
    if not annotators:
        st.info("No annotators yet: `handsoff study add-annotator --study ID --name NAME`.")
    else:
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

    st.subheader("Acceptability so far (submitted items, gold excluded)")
    st.dataframe(
        [
            {
                "method": m.method,
                "judgments": m.judgments,
                "acceptable": m.acceptable,
                "rate": percent(m.rate),
            }
            for m in methods
        ],
        hide_index=True,
    )

    st.subheader("Agreement so far")
    st.caption(
        f"{agreement.units} edits rated by two or more annotators, {agreement.ratings} ratings"
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

    st.download_button(
        "Export judgments (CSV)",
        data=export,
        file_name=f"study-{study_id}-judgments.csv",
        mime="text/csv",
        key=f"{KEY}export",
    )


def main() -> None:
    refuse_default_password()
    require_sign_in()
    st.title("Study administration")
    with session_scope(resources.engine()) as session:
        studies = list_studies(session=session)
    if not studies:
        st.info("No study yet: create one with `handsoff study create --run ID --methods A,B`.")
        return
    by_id = {study.id: study for study in studies}
    study_id = st.selectbox(
        "Study",
        list(by_id),
        index=len(studies) - 1,
        format_func=lambda sid: f"#{sid} {by_id[sid].name}",
        key=f"{KEY}study",
    )
    study = by_id[study_id]
    st.caption(
        f"run {study.run_id} · {' vs '.join(study.methods)} · {study.items} items + "
        f"{study.gold_items} gold · {study.annotators} annotators · {study.judgments} judgments"
    )
    show_study(study_id)
    if st.button("Sign out", key=f"{KEY}sign_out"):
        st.session_state.pop(f"{KEY}signed_in", None)
        st.rerun()


main()
