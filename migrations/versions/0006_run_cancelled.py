"""A run can be `cancelled`: stopped on request through Prefect (`handsoff cancel`), with
everything it stored kept, so that `handsoff run --resume` completes it.

The run.status CHECK constraint of 0005 is replaced by one that also allows "cancelled".
The values are frozen here as they are at this revision (db/models/enums.py names them for
the code). Downgrading refuses, naming the runs, while any run is cancelled: the old
constraint could not hold them.

As in 0005, SQLite rebuilds the table (batch mode) with its views set aside; env.py turns
its foreign keys off, so rebuilding `run` cannot cascade into its edits.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 16:00:00
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("pending", "running", "completed", "partial", "failed")
RUN_STATUSES = (*BEFORE, "cancelled")
# (table, column, allowed values) that this revision changes; the newest entry wins.
VOCABULARIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (("run", "status", RUN_STATUSES),)
CONSTRAINT = "ck_run_status_known"


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


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


def _replace_status_constraint(values: tuple[str, ...]) -> None:
    with _views_set_aside(), op.batch_alter_table("run") as batch:
        batch.drop_constraint(op.f(CONSTRAINT), type_="check")
        batch.create_check_constraint(op.f(CONSTRAINT), f"status IN ({_listed(values)})")


def upgrade() -> None:
    _replace_status_constraint(RUN_STATUSES)


def downgrade() -> None:
    cancelled = (
        op.get_bind()
        .execute(sa.text("SELECT id FROM run WHERE status = 'cancelled' ORDER BY id"))
        .scalars()
        .all()
    )
    if cancelled:
        raise RuntimeError(
            f"cannot downgrade below 0006: run(s) {list(cancelled)} are cancelled, which 0005 "
            "does not allow. Resume or delete them (or set their status), then downgrade again."
        )
    _replace_status_constraint(BEFORE)
