"""Who holds a personal link, and the clear pages for links that cannot be used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import streamlit as st
from sqlalchemy.orm import Session

from annotation_app import resources
from db.engine import session_scope
from db.queries.study_annotators import AccessProblem, AnnotatorAccess, authenticate

KEY = "annotate_"  # prefix of this page's session-state and widget keys


def problem_page(title: str, explanation: str) -> NoReturn:
    """A clear page for anything that stops annotation: no trace, nothing written."""
    st.title(title)
    st.info(explanation)
    st.stop()


def notify(message: str) -> None:
    """A message shown once, above the next page drawn."""
    st.session_state[f"{KEY}notice"] = message


def skipped() -> set[int]:
    """Positions found unavailable in this browser session (never written anywhere)."""
    return st.session_state.setdefault(f"{KEY}unavailable", set())


@contextmanager
def annotator_session(token: str) -> Iterator[tuple[Session, AnnotatorAccess | None]]:
    """One transaction: who holds `token` (None if nobody may use it), and the session."""
    with session_scope(resources.engine()) as session:
        access = authenticate(session=session, token=token)
        yield session, access if isinstance(access, AnnotatorAccess) else None


def refuse(problem: AccessProblem) -> NoReturn:
    """The clear page for a link that cannot be used, one per reason."""
    if problem is AccessProblem.REVOKED:
        problem_page(
            "This link has been withdrawn",
            "The study administrator has closed this link. Please contact them if you think "
            "this is a mistake.",
        )
    if problem is AccessProblem.STUDY_CLOSED:
        problem_page(
            "This study is closed",
            "The study no longer takes answers. Thank you for taking part: everything you "
            "submitted is kept.",
        )
    problem_page(
        "This link is not valid",
        "Check that you opened the whole link you were sent, or ask the study "
        "administrator for a new one.",
    )
