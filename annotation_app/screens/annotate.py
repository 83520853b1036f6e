"""The annotator's page: one item at a time, in the annotator's own random order.

Shows the instruction, the input image and two edits under the neutral labels A and B; asks
per edit "Is this an acceptable edit for the instruction?" and "Which is better?". Every
click is stored at once (so a refresh resumes exactly), Submit closes the item (or says
what is still missing), Undo reopens the last submitted one. The parts live in
`annotation_app.annotator`; this script only decides which page the link leads to.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

from annotation_app import resources
from annotation_app.annotator.access import KEY, problem_page, refuse, skipped
from annotation_app.annotator.answers import on_skip_unavailable
from annotation_app.annotator.guidelines import show_guidelines
from annotation_app.annotator.history import show_history
from annotation_app.annotator.item import show_item, undo_button
from annotation_app.annotator.navigation import (
    Screen,
    current_screen,
    go_to,
    guidelines_seen,
    screen_button,
)
from annotation_app.blind_images import ImageUnavailable, blind_item_images, prefetch_next_item
from db.engine import session_scope
from db.queries.study_annotators import AnnotatorAccess, authenticate
from db.queries.study_answers import (
    ItemImageMissing,
    ItemView,
    NothingToShow,
    load_next_item,
    mark_shown,
)


def show_end(token: str, end: NothingToShow) -> None:
    if end.total == 0:
        problem_page(
            "Nothing to do yet",
            "No items have been assigned to you in this study. "
            "Please contact the study administrator.",
        )
    if end.finished:
        st.title("All done: thank you!")
        st.progress(1.0, text=f"{end.completed} of {end.total}")
        st.success(f"You answered all {end.total} items. You can close this page.")
    else:
        st.title("Some items cannot be shown")
        st.warning(
            f"You answered {end.completed} of {end.total} items; the remaining ones cannot be "
            "shown right now because an image is unavailable. Please tell the study "
            "administrator; your answers so far are saved."
        )
    undo_button(token, None, end.can_undo)
    screen_button(Screen.HISTORY, "Your submitted items", "H")


def show_unavailable(number: int, total: int, position: int) -> NoReturn:
    st.title(f"Item {number} of {total} cannot be shown")
    st.warning(
        "An image of this item is unavailable. Nothing was recorded for it. Please tell "
        "the study administrator; you can go on with the next item."
    )
    st.button(
        "Continue with the next item",
        key=f"{KEY}skip",
        on_click=on_skip_unavailable,
        args=(position,),
    )
    st.stop()


def main() -> None:
    token = st.query_params.get("token")
    if not token:
        problem_page(
            "Please use your personal link",
            "This page needs the personal link you were sent (it ends in ?token=…).",
        )
    try:
        with session_scope(resources.engine()) as session:
            access = authenticate(session=session, token=token)
            view = (
                load_next_item(
                    session=session, annotator_id=access.annotator_id, skip_positions=skipped()
                )
                if isinstance(access, AnnotatorAccess)
                else None
            )
    except ItemImageMissing as missing:
        show_unavailable(missing.position + 1, missing.total, missing.position)
    if not isinstance(access, AnnotatorAccess):
        refuse(access)
    assert view is not None
    screen = current_screen()
    if (
        screen is Screen.ITEM
        and isinstance(view, ItemView)
        and view.guidelines_available
        and not guidelines_seen()
        and view.completed == 0
        and not view.started
    ):
        go_to(screen := Screen.GUIDELINES)  # a study's guidelines come first
        first_visit = True
    else:
        first_visit = False
    if screen is Screen.GUIDELINES:
        show_guidelines(token, first=first_visit)
        return
    if screen is Screen.HISTORY:
        show_history(token)
        return
    if notice := st.session_state.pop(f"{KEY}notice", None):
        st.info(notice)
    if isinstance(view, NothingToShow):
        show_end(token, view)
        return
    try:
        images = blind_item_images(access.annotator_id, view)
    except ImageUnavailable:
        show_unavailable(view.number, view.total, view.position)
    if not view.started:
        with session_scope(resources.engine()) as session:
            mark_shown(session=session, annotator_id=access.annotator_id, position=view.position)
    show_item(token, view, images)
    if not view.started:
        prefetch_next_item(access.annotator_id, view, skipped())


main()
