"""The administrator's page: a study overview (progress, gold accuracy, time per item,
acceptability and agreement so far, the CSV export), each item unblinded with every
annotator's answers, and the annotators flagged for a closer look.

Disabled outside the demo without a safe admin password (HANDSOFF_ADMIN_PASSWORD, at least
12 characters, not the demo's); failed sign-ins back off and then lock out. The parts live
in `annotation_app.admin`; this script only decides what is shown.
"""

from __future__ import annotations

import streamlit as st

from annotation_app import resources
from annotation_app.admin.flags import show_flags
from annotation_app.admin.item_view import show_item_view
from annotation_app.admin.overview import show_overview
from annotation_app.admin.sign_in import (
    KEY,
    TITLE,
    refuse_unsafe_password,
    require_sign_in,
    sign_out_button,
)
from db.engine import session_scope
from db.queries.study_admin import list_studies

SECTIONS = {
    "Overview": show_overview,
    "Per item": show_item_view,
    "Flags": show_flags,
}


# Streamlit's default top padding leaves a tenth of a laptop screen empty above the title.
PAGE_CSS = "<style>[data-testid='stMainBlockContainer'] {padding-top: 1rem;}</style>"


def main() -> None:
    st.html(PAGE_CSS)
    refuse_unsafe_password()
    require_sign_in()
    st.title(TITLE)
    with session_scope(resources.engine()) as session:
        studies = list_studies(session=session)
    if not studies:
        st.info("No study yet: create one with `handsoff study create --run ID --methods A,B`.")
        sign_out_button()
        return
    by_id = {study.id: study for study in studies}
    study_column, section_column = st.columns([1, 2], vertical_alignment="bottom")
    study_id = study_column.selectbox(
        "Study",
        list(by_id),
        index=len(studies) - 1,
        format_func=lambda sid: f"#{sid} {by_id[sid].name}",
        key=f"{KEY}study",
    )
    section = section_column.radio("Section", list(SECTIONS), horizontal=True, key=f"{KEY}section")
    study = by_id[study_id]
    st.caption(
        f"run {study.run_id} · {' vs '.join(study.methods)} · {study.items} items + "
        f"{study.gold_items} gold · {study.annotators} annotators · {study.judgments} judgments"
    )
    SECTIONS[section](study_id)
    sign_out_button()


main()
