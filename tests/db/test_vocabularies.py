"""Status, setting and kind columns hold only their vocabulary: the database refuses any other
value on both backends, and the migration that adds the constraints keeps every row."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from db import models
from db.engine import make_engine
from db.migrate import downgrade, upgrade
from flows.bench.synthetic_run import SyntheticSpec, populate_synthetic_evaluation
from flows.bench.synthetic_study import SyntheticStudySpec, populate_synthetic_study

# The migrations that freeze vocabularies, oldest first: a later one's entry replaces an
# earlier one's for the same column (0006 adds "cancelled" to run.status).
MIGRATIONS = [
    importlib.import_module(f"migrations.versions.{name}")
    for name in ("0005_closed_vocabularies", "0006_run_cancelled")
]

# (table, column) -> the enum the code names its values with.
ENUM_OF = {
    ("run", "status"): models.RunStatus,
    ("run", "setting"): models.Setting,
    ("edit", "status"): models.EditStatus,
    ("edit", "setting"): models.Setting,
    ("metric_value", "caption_kind"): models.CaptionKind,
    ("study_option", "gold_role"): models.GoldRole,
    ("assignment", "preference_kind"): models.PreferenceKind,
    ("judgment_event", "kind"): models.JudgmentEventKind,
}


def newest_vocabularies() -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (table, column): values
        for migration in MIGRATIONS
        for table, column, values in migration.VOCABULARIES
    }


def test_the_migrations_freeze_exactly_the_values_the_code_names() -> None:
    frozen = newest_vocabularies()
    assert frozen[("run", "status")][-1] == "cancelled"
    assert set(frozen) == set(ENUM_OF)
    for key, enum in ENUM_OF.items():
        assert frozen[key] == tuple(member.value for member in enum), key


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: int(connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one())
            for table in inspect(engine).get_table_names()
            if table != "alembic_version"
        }


def _populated(url: str) -> Engine:
    upgrade(url)
    engine = make_engine(url)
    evaluation = populate_synthetic_evaluation(
        engine, SyntheticSpec(samples=8, weights=(1.0,), seed=1), name="vocab"
    )
    populate_synthetic_study(
        engine,
        evaluation,
        SyntheticStudySpec(gold_items=2, annotators=3, overlap=2, seed=1),
        name="vocab-study",
    )
    return engine


def _set(engine: Engine, table: str, column: str, value: str, row_id: int) -> None:
    """Set one row's column in a transaction that is rolled back (so every value is tried on
    the same row); raises what the database raises."""
    with engine.connect() as connection:
        try:
            connection.execute(
                text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                {"value": value, "id": row_id},
            )
        finally:
            connection.rollback()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_column_refuses_a_value_outside_its_vocabulary(empty_database_url: str) -> None:
    engine = _populated(empty_database_url)
    with engine.begin() as connection:  # the synthetic study writes no answer history
        connection.execute(
            text(
                "INSERT INTO judgment_event (annotator_id, item_id, kind, at) "
                "SELECT MIN(a.id), MIN(i.id), 'submit', CURRENT_TIMESTAMP "
                "FROM annotator a, study_item i"
            )
        )
    tried = set()
    try:
        for (table, column), enum in ENUM_OF.items():
            with engine.connect() as connection:
                row_id = connection.execute(text(f"SELECT MIN(id) FROM {table}")).scalar()
            if row_id is None:
                continue
            for member in enum:  # every named value is accepted...
                _set(engine, table, column, member.value, row_id)
            for typo in ("", member.value.upper(), member.value + " ", "unknown"):  # ...no other
                with pytest.raises(IntegrityError, match=f"ck_{table}_{column}_known"):
                    _set(engine, table, column, typo, row_id)
            tried.add((table, column))
    finally:
        engine.dispose()
    assert tried == set(ENUM_OF)


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_down_and_up_again_keeps_every_row(empty_database_url: str) -> None:
    engine = _populated(empty_database_url)
    before = _row_counts(engine)
    assert before["edit"] > 0 and before["metric_value"] > 0 and before["judgment"] > 0
    with engine.connect() as connection:
        views_before = connection.execute(text("SELECT COUNT(*) FROM v_judgments")).scalar_one()
    downgrade(empty_database_url, "0004")
    assert _row_counts(engine) == before  # rebuilding run must not cascade into its edits
    with engine.begin() as connection:  # without the constraint, a typo goes in
        connection.execute(
            text("UPDATE run SET status = 'complete' WHERE id = (SELECT MIN(id) FROM run)")
        )
        connection.execute(text("UPDATE run SET status = 'completed'"))
    upgrade(empty_database_url)
    assert _row_counts(engine) == before
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT COUNT(*) FROM v_judgments")).scalar_one()
            == views_before
        )
    engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_upgrade_over_an_unknown_value_names_it_and_changes_nothing(
    empty_database_url: str,
) -> None:
    engine = _populated(empty_database_url)
    downgrade(empty_database_url, "0004")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE edit SET status = 'donee' WHERE id = (SELECT MIN(id) FROM edit)")
        )
    before = _row_counts(engine)
    with pytest.raises(RuntimeError, match=r"edit\.status holds \['donee'\]"):
        upgrade(empty_database_url)
    assert _row_counts(engine) == before
    with engine.connect() as connection:  # still at 0004: the constraint is absent
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == "0004"
        )
    engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite", "postgresql"], indirect=True)
def test_downgrade_below_cancelled_names_the_cancelled_runs_and_changes_nothing(
    empty_database_url: str,
) -> None:
    engine = _populated(empty_database_url)
    with engine.begin() as connection:
        run_id = connection.execute(text("SELECT MIN(id) FROM run")).scalar_one()
        connection.execute(
            text("UPDATE run SET status = 'cancelled' WHERE id = :id"), {"id": run_id}
        )
    before = _row_counts(engine)
    with pytest.raises(RuntimeError, match=rf"run\(s\) \[{run_id}\] are cancelled"):
        downgrade(empty_database_url, "0005")
    assert _row_counts(engine) == before
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            == "0006"
        )
    engine.dispose()
