"""The guidelines screen: the question's definition (the same for every study) and the
study's own guidelines (markdown written by the administrator, with examples). It is the
first screen of a study that has guidelines and can be opened again from every item."""

from __future__ import annotations

import streamlit as st

from annotation_app.annotator.access import annotator_session
from annotation_app.annotator.navigation import back_to_items_button
from db.queries.study_answers import study_guidelines

QUESTION_DEFINITION = """
**For each edit: is it an acceptable edit for the instruction?**

- **✓ Acceptable**: the edit does what the instruction asks, and leaves the rest of the input
  image as it was (small, harmless changes are fine).
- **✗ Not acceptable**: the instruction is not carried out, only partly, or the edit damages
  what it should have kept.
- **? Can't judge**: you cannot tell (the instruction is ambiguous, the image is unclear, you
  lack the knowledge). Say why if you can. This is never counted as "not acceptable".

**Which is better?** Choose the edit that follows the instruction better; *Tie* when they are
equally good, *Both bad* when neither is acceptable.

Keys: 1 / 2 / 5 edit A acceptable / not / can't judge, 3 / 4 / 6 edit B, A, B, T, X for the
preference, F flickers the input into the edits' places, Enter submits, U undoes.
"""


def show_guidelines(token: str, *, first: bool) -> None:
    with annotator_session(token) as (session, access):
        text = (
            study_guidelines(session=session, annotator_id=access.annotator_id)
            if access is not None
            else None
        )
    st.title("Guidelines")
    st.markdown(QUESTION_DEFINITION)
    if text is not None:
        st.divider()
        # The administrator's own markdown; HTML is not rendered.
        st.markdown(text)
    back_to_items_button("Start" if first else "Back to the item")
