"""Which of the annotator's screens is showing: the current item, the guidelines or the
history. Kept in the browser session only; the link (`?token=`) stays the same."""

from __future__ import annotations

import enum

import streamlit as st

from annotation_app.annotator.access import KEY


class Screen(enum.StrEnum):
    ITEM = "item"
    GUIDELINES = "guidelines"
    HISTORY = "history"


_SCREEN = f"{KEY}screen"
_GUIDELINES_SEEN = f"{KEY}guidelines_seen"


def current_screen() -> Screen:
    return Screen(st.session_state.get(_SCREEN, Screen.ITEM))


def go_to(screen: Screen) -> None:
    if screen is Screen.GUIDELINES:
        st.session_state[_GUIDELINES_SEEN] = True
    st.session_state[_SCREEN] = screen


def guidelines_seen() -> bool:
    return bool(st.session_state.get(_GUIDELINES_SEEN, False))


def screen_button(screen: Screen, label: str, shortcut: str) -> None:
    st.button(
        label, key=f"{KEY}open_{screen}", shortcut=shortcut, on_click=go_to, args=(screen,),
        width="stretch",
    )  # fmt: skip


def back_to_items_button(label: str = "Back to the items") -> None:
    st.button(
        label,
        key=f"{KEY}back",
        shortcut="Escape",
        type="primary",
        on_click=go_to,
        args=(Screen.ITEM,),
    )
