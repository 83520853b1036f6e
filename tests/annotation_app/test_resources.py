"""The app's engine keeps a connection for every annotator request running at once."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import event, text

from annotation_app import resources


def test_a_burst_of_annotator_requests_reuses_connections_instead_of_opening_them(
    postgres_url: str,
) -> None:
    engine = resources._engine_for.__wrapped__(postgres_url)  # type: ignore[attr-defined]
    opened: list[int] = []
    event.listen(engine, "connect", lambda *_: opened.append(1))
    at_once = resources.POOL_SIZE
    start = threading.Barrier(at_once, timeout=60)
    done = threading.Barrier(at_once, timeout=60)

    def request() -> None:
        start.wait()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            done.wait()  # all of them hold a connection at the same time

    for _burst in range(3):
        threads = [threading.Thread(target=request) for _ in range(at_once)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    try:
        assert len(opened) == at_once  # opened in the first burst, kept for the next two
        assert engine.pool.checkedin() == at_once
    finally:
        engine.dispose()


def test_sqlite_keeps_its_own_pool(tmp_path: Path) -> None:
    assert resources.pool_options(f"sqlite:///{tmp_path / 'app.db'}") == {}
    assert resources.pool_options("sqlite://") == {}
    assert resources.pool_options("postgresql+psycopg://u:p@h/db") == {
        "pool_size": resources.POOL_SIZE,
        "max_overflow": resources.MAX_OVERFLOW,
    }
