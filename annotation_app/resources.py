"""Process-wide resources of the app: the settings and one cached engine."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from db.engine import make_engine
from db.settings import Settings, load_settings

# Streamlit runs every browser session's script in a thread of this one process, so the pool
# must hold as many connections as requests run at once: with fewer, every request beyond
# the pool opens a new PostgreSQL connection and closes it again (a few ms alone, tens of ms
# while many annotators arrive at once). 20 kept covers 20 annotators clicking at the same
# instant; the overflow lets a larger burst wait for nothing but a connection's start.
POOL_SIZE = 20
MAX_OVERFLOW = 20


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    """Read once per server process (the environment does not change under it)."""
    return load_settings()


def pool_options(url: str) -> dict[str, int]:
    """Pool sizes for a server database; SQLite's pools (one file, or memory) keep theirs."""
    if make_url(url).get_backend_name() == "sqlite":
        return {}
    return {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    return make_engine(url, **pool_options(url))


def engine() -> Engine:
    return _engine_for(settings().url)
