"""Closed vocabularies: every status, setting and kind column gets a CHECK constraint, so
the database refuses a value no query counts (a misspelt status, a setting with a typo).

The values are frozen here as they were at this revision (db/models/enums.py names them for
the code). Rows already holding a value outside them stop the upgrade with a message naming
the table, the column and the values, before anything is changed.

SQLite can add a constraint only by rebuilding the table (Alembic's batch mode), and it
cannot rebuild a table a view reads: its views are dropped first and created again from
their stored SQL. env.py turns SQLite's foreign keys off for migrations, so rebuilding
`run` cannot cascade into its edits.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 15:40:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS = ("single-turn", "multi-turn")
# (table, column, allowed values); the constraint is ck_<table>_<column>_known.
VOCABULARIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("run", "status", ("pending", "running", "completed", "partial", "failed")),
    ("run", "setting", SETTINGS),
    ("edit", "status", ("done", "failed")),
    ("edit", "setting", SETTINGS),
    ("metric_value", "caption_kind", ("global", "local", "none")),
    ("study_option", "gold_role", ("gold_source", "gold_target")),
    ("assignment", "preference_kind", ("option", "tie", "both_bad")),
    ("judgment_event", "kind", ("verdict", "preference", "submit", "reopen")),
)


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _refuse_unknown_values() -> None:
    connection = op.get_bind()
    problems = []
    for table, column, values in VOCABULARIES:
        found = connection.execute(
            sa.text(
                f"SELECT DISTINCT {column} FROM {table} "
                f"WHERE {column} IS NOT NULL AND {column} NOT IN ({_listed(values)})"
            )
        ).scalars()
        unknown = sorted(str(value) for value in found)
        if unknown:
            problems.append(f"{table}.{column} holds {unknown} (allowed: {list(values)})")
    if problems:
        raise RuntimeError(
            "cannot add the closed-vocabulary constraints: "
            + "; ".join(problems)
            + ". Correct or delete those rows, then upgrade again."
        )


@contextmanager
def _views_set_aside() -> Iterator[None]:
    """SQLite: drop every view for the duration, then create it again as it was."""
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        yield
        return
    views = connection.execute(
        sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'view' ORDER BY rowid")
    ).all()
    for name, _sql in views:
        op.execute(f"DROP VIEW {name}")
    yield
    for _name, sql in views:
        op.execute(sql)


def _tables() -> list[str]:
    return list(dict.fromkeys(table for table, _column, _values in VOCABULARIES))


def upgrade() -> None:
    _refuse_unknown_values()
    with _views_set_aside():
        for table in _tables():
            with op.batch_alter_table(table) as batch:
                for owner, column, values in VOCABULARIES:
                    if owner == table:
                        batch.create_check_constraint(
                            op.f(f"ck_{table}_{column}_known"), f"{column} IN ({_listed(values)})"
                        )


def downgrade() -> None:
    with _views_set_aside():
        for table in _tables():
            with op.batch_alter_table(table) as batch:
                for owner, column, _values in VOCABULARIES:
                    if owner == table:
                        batch.drop_constraint(op.f(f"ck_{table}_{column}_known"), type_="check")
