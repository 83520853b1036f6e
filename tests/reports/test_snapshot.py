"""A report reads one consistent state: a judgment written while it is being built does
not make its tables disagree with each other (REPEATABLE READ on PostgreSQL, an explicit
read transaction on SQLite)."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import read_snapshot
from tests.reports.conftest import SyntheticDatabase


def test_snapshot_does_not_see_writes_made_meanwhile(synthetic_db: SyntheticDatabase) -> None:
    engine = synthetic_db.engine
    count = text("SELECT COUNT(*) FROM judgment")
    with read_snapshot(engine) as session:
        before = session.execute(count).scalar_one()
        with engine.begin() as writer:
            writer.execute(text("DELETE FROM judgment WHERE id = (SELECT MAX(id) FROM judgment)"))
        assert session.execute(count).scalar_one() == before
    with engine.connect() as connection:
        assert connection.execute(count).scalar_one() == before - 1
