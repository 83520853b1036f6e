"""The compare aid: a key that flickers the input into the edits' places and back, so a small
change (or none) shows as motion. Kept per item in the browser session only."""

from __future__ import annotations

import streamlit as st

from annotation_app.annotator.access import KEY

FLICKER_SHORTCUT = "F"


def _state_key(position: int) -> str:
    return f"{KEY}flicker_{position}"


def showing_input(position: int) -> bool:
    """Whether the edits' places show the input image right now."""
    return bool(st.session_state.get(_state_key(position), False))


def _toggle(position: int) -> None:
    st.session_state[_state_key(position)] = not showing_input(position)


def flicker_button(position: int) -> None:
    st.button(
        "Show edits" if showing_input(position) else "Flicker: show input in their place",
        key=f"{KEY}{position}_flicker",
        shortcut=FLICKER_SHORTCUT,
        on_click=_toggle,
        args=(position,),
        width="stretch",
    )
