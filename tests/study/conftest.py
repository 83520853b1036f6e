from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.study.world import World, build_world


@pytest.fixture
def world(engine: Engine) -> World:
    """Six samples; sample 5 has a failed instruct-pix2pix edit."""
    return build_world(engine, samples=6, failed=[(5, "instruct-pix2pix")])
