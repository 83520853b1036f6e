"""Writes that must be atomic and idempotent, database retries, and the stage cache."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError

from db.engine import session_factory, session_scope
from db.image_store import png_bytes
from db.models import CacheEntry, Edit, Sample
from db.queries.edits import (
    EditOutput,
    duplicate_edit_keys,
    orphan_images,
    store_done_edit,
    store_failed_edit,
)
from db.queries.runs import get_or_create_method_config
from flows.evaluation.stage_cache import DatabaseStageCache
from flows.retry import is_transient_database_error, retry_database
from flows.runs.request import RunRequest, create_run
from tests.flows.helpers import edit_rows, image_count


def _output(colour: tuple[int, int, int]) -> EditOutput:
    image = Image.new("RGB", (16, 16), colour)
    return EditOutput(png=png_bytes(image), width=16, height=16, mode="RGB", notes=["test"])


def _key(engine: Engine, dataset: str) -> dict[str, int | str]:
    run_id = create_run(engine=engine, request=RunRequest(dataset=dataset, methods=["identity"]))
    with session_scope(engine) as session:
        sample_id = session.scalars(select(Sample.id).order_by(Sample.id)).first()
        config = get_or_create_method_config(
            session=session, method="identity", params={}, config_hash="0" * 64
        )
        assert sample_id is not None
        return {
            "run_id": run_id,
            "sample_id": sample_id,
            "method_config_id": config.id,
            "seed": 0,
            "setting": "single-turn",
        }


def test_second_writer_of_a_done_edit_leaves_no_trace(engine: Engine, dataset: str) -> None:
    key = _key(engine, dataset)
    images_before = image_count(engine)
    with session_factory(engine)() as session:
        assert store_done_edit(session=session, output=_output((255, 0, 0)), **key) is not None  # type: ignore[arg-type]
        session.commit()
    # Another worker finishes the same key with a different image: nothing of it survives.
    with session_factory(engine)() as session:
        assert store_done_edit(session=session, output=_output((0, 0, 255)), **key) is None  # type: ignore[arg-type]
        session.rollback()
    # A late failure report never downgrades a done edit.
    with session_factory(engine)() as session:
        assert store_failed_edit(session=session, error="late", **key) is None  # type: ignore[arg-type]
        session.commit()
    (row,) = edit_rows(engine)
    assert (row.status, row.attempts, row.error) == ("done", 1, None)
    assert image_count(engine) == images_before + 1
    with session_scope(engine) as session:
        assert orphan_images(session=session) == []


def test_failed_edit_becomes_done_on_retry(engine: Engine, dataset: str) -> None:
    key = _key(engine, dataset)
    with session_scope(engine) as session:
        store_failed_edit(session=session, error="RuntimeError: boom", **key)  # type: ignore[arg-type]
    with session_scope(engine) as session:
        store_done_edit(session=session, output=_output((1, 2, 3)), **key)  # type: ignore[arg-type]
    (row,) = edit_rows(engine)
    assert (row.status, row.attempts, row.error, row.notes) == ("done", 2, None, ["test"])


def test_crash_between_image_and_row_leaves_nothing(engine: Engine, dataset: str) -> None:
    key = _key(engine, dataset)
    images_before = image_count(engine)
    with pytest.raises(RuntimeError, match="killed"), session_scope(engine) as session:
        store_done_edit(session=session, output=_output((9, 9, 9)), **key)  # type: ignore[arg-type]
        raise RuntimeError("killed before commit")
    assert edit_rows(engine) == [] and image_count(engine) == images_before


def test_concurrent_writers_make_one_edit(engine: Engine, dataset: str) -> None:
    key = _key(engine, dataset)
    results: list[int | None] = []
    barrier = threading.Barrier(4)

    def worker(shade: int) -> None:
        barrier.wait()

        def write() -> int | None:
            with session_factory(engine)() as session:
                edit_id = store_done_edit(session=session, output=_output((shade, 0, 0)), **key)  # type: ignore[arg-type]
                if edit_id is None:
                    session.rollback()
                else:
                    session.commit()
                return edit_id

        results.append(retry_database(write, what="test", base_delay_s=0.05))

    threads = [threading.Thread(target=worker, args=(shade,)) for shade in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    with session_scope(engine) as session:
        assert session.scalar(select(Edit.id).where(Edit.sample_id == key["sample_id"])) is not None
        assert duplicate_edit_keys(session=session) == 0
        assert orphan_images(session=session) == []


def test_retry_database_rides_out_transient_errors() -> None:
    calls: list[int] = []
    delays: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return "ok"

    assert retry_database(flaky, what="test", sleep=delays.append) == "ok"
    assert delays == [0.5, 1.0]

    def broken() -> None:
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    with pytest.raises(IntegrityError):
        retry_database(broken, what="test", sleep=delays.append)
    assert delays == [0.5, 1.0]  # not retried: not transient
    assert not is_transient_database_error(ValueError("x"))

    def always_down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with pytest.raises(OperationalError):
        retry_database(always_down, what="test", attempts=3, sleep=delays.append)
    assert delays[2:] == [0.5, 1.0]


def test_database_stage_cache_persists_and_counts(engine: Engine) -> None:
    cache = DatabaseStageCache(engine)
    assert cache.get("caption", "k1") is None
    cache.put("caption", "k1", b"a red circle")
    cache.put("caption", "k1", b"a red circle")  # a second writer of the same key is fine
    assert cache.get("caption", "k1") == b"a red circle"
    # Another worker (a fresh cache object, empty memory) reads it from the database.
    other = DatabaseStageCache(engine)
    assert other.get("caption", "k1") == b"a red circle"
    assert other.get("latents", "k2") is None
    assert cache.hit_rates() == {"caption": {"hits": 1, "misses": 1, "rate": 0.5}}
    assert other.hit_rates()["latents"] == {"hits": 0, "misses": 1, "rate": 0.0}
    with session_scope(engine) as session:
        assert len(session.scalars(select(CacheEntry)).all()) == 1


def test_stage_cache_survives_a_broken_database(tmp_path: Path) -> None:
    from db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}")  # no cache_entry table
    cache = DatabaseStageCache(engine)
    cache.put("rewrite", "k", b"x")  # logged, not raised
    assert cache.get("rewrite", "k") == b"x"  # from memory
    assert cache.get("rewrite", "other") is None
