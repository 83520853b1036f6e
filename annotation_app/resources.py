"""Process-wide resources of the app: the settings and one cached engine."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from db.engine import make_engine
from db.settings import Settings, load_settings


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Read once per server process (the environment does not change under it)."""
    return load_settings()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def engine() -> Engine:
    return _engine_for(settings().url)
