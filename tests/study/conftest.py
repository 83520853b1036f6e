from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.study.world import World, build_world


@pytest.fixture
def world(engine: Engine) -> World:
    """Six samples; sample 5 has a failed instruct-pix2pix edit."""
    return build_world(engine, samples=6, failed=[(5, "instruct-pix2pix")])


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh migrated SQLite database only (CLI tests: the queries run on both backends
    in their own tests)."""
    path = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"
