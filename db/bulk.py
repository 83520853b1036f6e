"""Fast bulk writes for the synthetic database: ids reserved up front, rows written with
COPY on PostgreSQL and executemany on SQLite (no per-row RETURNING round trips).

Only for building throwaway benchmark and test databases by one writer at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Connection, Table, func, select, text


def reserve_ids(connection: Connection, model: Any, count: int) -> list[int]:
    """`count` fresh primary keys for the table of ORM class `model` (integer `id`)."""
    table: Table = model.__table__
    if count == 0:
        return []
    if connection.dialect.name == "postgresql":
        sequence = connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        first = connection.scalar(
            text("SELECT setval(CAST(:seq AS regclass), nextval(CAST(:seq AS regclass)) + :n - 1)"),
            {"seq": sequence, "n": count},
        )
        return list(range(int(first) - count + 1, int(first) + 1))
    start = int(connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
    return list(range(start, start + count))


def bulk_insert(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into the table of ORM class `model`."""
    table: Table = model.__table__
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    from psycopg.types.json import Jsonb

    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([Jsonb(row[c]) if c in json_columns else row[c] for c in columns])
