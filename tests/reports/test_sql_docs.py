"""Every SQL example of docs/sql.md runs against a populated database and returns rows:
on PostgreSQL all of them, on SQLite those not marked `-- PostgreSQL`."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text

from tests.reports.conftest import SyntheticDatabase

DOC = Path(__file__).resolve().parents[2] / "docs" / "sql.md"


def sql_examples() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    # A "-- PostgreSQL" marker opens the statement it applies to.
    return [s.strip() for block in blocks for s in block.split(";") if s.strip()]


def test_docs_have_examples_for_every_view() -> None:
    from db.views import VIEW_NAMES

    examples = "\n".join(sql_examples())
    documented = DOC.read_text(encoding="utf-8")
    for name in VIEW_NAMES:
        assert f"`{name}`" in documented, f"{name} is not documented"
    used = {name for name in VIEW_NAMES if name in examples}
    assert used >= set(VIEW_NAMES) - {"v_run_samples", "v_run_method_status"}


def test_every_sql_example_runs(synthetic_db: SyntheticDatabase) -> None:
    dialect = synthetic_db.engine.dialect.name
    ran = 0
    with synthetic_db.engine.connect() as connection:
        for statement in sql_examples():
            if statement.startswith("-- PostgreSQL") and dialect != "postgresql":
                continue
            rows = connection.execute(text(statement)).all()
            ran += 1
            if "edit_status = 'done'" in statement and "HAVING" in statement:
                continue  # every done edit of the fixture has some value: no rows is right
            assert rows, f"no rows from:\n{statement}"
    postgresql_only = sum(s.startswith("-- PostgreSQL") for s in sql_examples())
    assert postgresql_only >= 1
    assert ran == len(sql_examples()) - (postgresql_only if dialect == "sqlite" else 0)
