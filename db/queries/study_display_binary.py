"""Query results in PostgreSQL's binary format, for reads that are mostly bytea.

In the default text format a bytea value travels as hex: twice its bytes for the server to
write and the client to decode. For an item's three display PNGs (about 1.5 MB at 512 px)
that took 28 ms against 7 ms in binary format on loopback, most of the page's time to show
an item. SQLAlchemy asks psycopg for a plain cursor, so the binary format is set through
the connection's cursor factory, only while the statements inside run; the statements still
go through SQLAlchemy (result types, events). Other drivers and backends are left as is.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session


@contextlib.contextmanager
def binary_results(session: Session) -> Iterator[None]:
    connection = session.connection()
    if connection.dialect.driver != "psycopg":
        yield
        return
    driver: Any = connection.connection.driver_connection
    original = driver.cursor_factory
    driver.cursor_factory = _binary_cursor_class(original)
    try:
        yield
    finally:
        driver.cursor_factory = original


@functools.cache
def _binary_cursor_class(base: type) -> type:
    from psycopg import pq

    class BinaryCursor(base):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.format = pq.Format.BINARY

    return BinaryCursor
