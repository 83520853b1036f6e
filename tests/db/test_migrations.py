"""Migrations run both ways on both backends, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.base import Base
from db.engine import make_engine
from db.migrate import current_revision, downgrade, head_revision, upgrade

EXPECTED_TABLES = {
    "image",
    "dataset",
    "sample",
    "method_config",
    "run",
    "run_method_config",
    "edit",
    "metric_value",
    "cache_entry",
    "study",
    "study_item",
    "study_option",
    "study_display_image",
    "annotator",
    "assignment",
    "judgment",
}


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_downgrade_upgrade_round_trip(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    upgrade(empty_database_url)
    assert current_revision(engine) == head_revision(empty_database_url)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES

    downgrade(empty_database_url, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

    upgrade(empty_database_url)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_autogenerate_finds_no_difference_between_models_and_migrations(
    empty_database_url: str,
) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == []
