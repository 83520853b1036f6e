"""An annotation app over a fresh SQLite database with a small study.

AppTest runs the real entry script in this process; the app reads its settings from the
environment once (st.cache_resource), so every test sets the environment and clears the
caches first.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from db.engine import make_engine, session_scope
from db.queries.study_create import create_study
from tests.study.world import METHODS, World, build_world

APP = str(Path(__file__).resolve().parents[2] / "annotation_app" / "app.py")
ADMIN_PASSWORD = "correct horse battery staple"


@dataclass
class StudyApp:
    engine: Engine
    world: World
    tokens: dict[str, str]  # annotator name -> token

    def open(self, token: str | None = None, *, page: str | None = None) -> AppTest:
        """A fresh browser session (a new tab, or a refresh) on the annotator link."""
        app = AppTest.from_file(APP, default_timeout=30)
        if token is not None:
            app.query_params["token"] = token
        app.run()
        if page is not None:
            app.switch_page(page).run()
        return app


def configure_app(monkeypatch: pytest.MonkeyPatch, url: str, home: Path, **env: str) -> None:
    monkeypatch.setenv("HANDSOFF_DATABASE_URL", url)
    monkeypatch.setenv("HANDSOFF_HOME", str(home))
    monkeypatch.setenv("HANDSOFF_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("HANDSOFF_ENVIRONMENT", "development")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_database_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "app.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def study_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_database_url: str
) -> Iterator[StudyApp]:
    """Alice and Bob share 3 items (overlap 2) and one gold item: 4 items each."""
    configure_app(monkeypatch, app_database_url, tmp_path)
    engine = make_engine(app_database_url)
    world = build_world(engine, samples=3)
    with session_scope(engine) as session:
        created = create_study(
            session=session,
            run_id=world.run_id,
            methods=METHODS,
            annotators=["alice", "bob"],
            overlap=2,
            gold=1,
            seed=1,
            name="pilot",
        )
    yield StudyApp(engine, world, {a.name: a.token for a in created.annotators})
    engine.dispose()
    st.cache_resource.clear()
