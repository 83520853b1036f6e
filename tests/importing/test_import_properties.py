"""Property tests of the JSONL, MagicBrush (folder and zip) and hub parquet readers, on
SQLite and PostgreSQL:
generated datasets mixing good records (some at the edge of what the schema takes) with
records corrupted in any field.

Invariants: imported + rejected = records; every good record is stored exactly once with
its instruction; every rejection names its record (id, line or row) and a reason; the file
outside the dataset that bad paths point at never reaches the database; the import writes
nothing to the disk outside the database. Seeds are derandomized for CI (hypothesis prints
the failing example); HANDSOFF_PROPERTY_EXAMPLES raises the number of examples.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Dataset, Image, Sample
from flows.importing import import_dataset_path
from handsoff_core.data import count_records
from tests.importing.strategies import (
    HUB_KINDS,
    JSONL_KINDS,
    LIMITS,
    MAGICBRUSH_KINDS,
    MAGICBRUSH_ZIP_KINDS,
    Item,
    Written,
    every_kind,
    items,
    write_hub,
    write_jsonl,
    write_magicbrush,
)

PROPERTY = settings(
    max_examples=int(os.environ.get("HANDSOFF_PROPERTY_EXAMPLES", "10")),
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _tree(root: Path, skip: set[Path]) -> dict[str, tuple[int, str]]:
    """{path: (mode, sha256 or link target)} of everything under `root` but `skip`."""
    found: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if path in skip:
                continue
            info = path.lstat()
            if path.is_symlink():
                content = os.readlink(path)
            elif path.is_file():
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = ""
            found[str(path.relative_to(root))] = (info.st_mode, content)
    return found


def _stored(engine: Engine, dataset: str) -> list[tuple[str, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Sample.external_id, Sample.instruction)
            .join(Dataset, Dataset.id == Sample.dataset_id)
            .where(Dataset.name == dataset)
        ).all()
    return [(external_id, instruction) for external_id, instruction in rows]


def _has_image(engine: Engine, data: bytes) -> bool:
    digest = hashlib.sha256(data).hexdigest()
    with session_scope(engine) as session:
        return bool(session.scalar(select(func.count()).where(Image.sha256 == digest)))


def _check(engine: Engine, tmp_path: Path, write: Callable[[Path], Written]) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path, prefix="example-"))
    try:
        _check_example(engine, tmp_path, root, write)
    finally:
        # Each example's files go with it: left in place, every later example's walk of
        # tmp_path grows, and a shrinking run of hundreds of examples crawls for hours.
        shutil.rmtree(root)


def _check_example(
    engine: Engine, tmp_path: Path, root: Path, write: Callable[[Path], Written]
) -> None:
    written = write(root)
    name = f"prop-{uuid.uuid4().hex[:8]}"
    databases = {tmp_path / f"handsoff.db{suffix}" for suffix in ("", "-wal", "-shm", "-journal")}
    before = _tree(tmp_path, databases)

    summary = import_dataset_path(engine=engine, path=written.path, name=name, limits=LIMITS)

    assert _tree(tmp_path, databases) == before, "the import wrote outside the database"
    reasons = {item.external_id: item.reason for item in summary.rejected}
    assert summary.skipped == 0, summary.as_dict()
    assert summary.imported + summary.rejected_count == written.records, reasons
    assert count_records(written.path, limits=LIMITS) == written.records
    stored = _stored(engine, name)
    assert len(stored) == len(set(stored)) == summary.imported
    assert dict(stored) == written.good, reasons
    for rejected in summary.rejected:
        assert rejected.external_id in written.names and rejected.reason.strip(), rejected
    assert not _has_image(engine, written.outside), "a file outside the dataset was imported"

    again = import_dataset_path(engine=engine, path=written.path, name=name, limits=LIMITS)
    assert (again.imported, again.skipped) == (0, len(written.good))
    assert again.rejected_count == summary.rejected_count
    assert sorted(_stored(engine, name)) == sorted(stored)


Writer = Callable[[Path, list[Item], bool], Written]


def _run(
    database_url: str,
    tmp_path: Path,
    kinds: tuple[str, ...],
    write: Writer,
    found: tuple[list[Item], ...] = (),
) -> None:
    """Check `write`'s datasets: generated ones, one of every kind both ways round, and
    `found`, falsifying examples shrinking once printed (kept so they run on every CI)."""
    engine = make_engine(database_url)

    @PROPERTY
    @given(batch=items(kinds), flag=st.booleans())
    @example(batch=every_kind(kinds), flag=True)
    @example(batch=every_kind(kinds)[::-1], flag=False)
    def check(batch: list[Item], flag: bool) -> None:
        for item in batch:  # shown by --hypothesis-show-statistics: what was covered
            event(item.kind)
        _check(engine, tmp_path, lambda root: write(root, batch, flag))

    for batch in found:
        check = example(batch=batch, flag=False)(check)
    try:
        check()
    finally:
        engine.dispose()


def test_jsonl_reader(database_url: str, tmp_path: Path) -> None:
    _run(
        database_url,
        tmp_path,
        JSONL_KINDS,
        lambda root, batch, ascii: write_jsonl(root, batch, ensure_ascii=ascii),
    )


def test_hub_parquet_reader(database_url: str, tmp_path: Path) -> None:
    _run(database_url, tmp_path, HUB_KINDS, lambda root, batch, _: write_hub(root, batch))


# A second ".." session: written as ".." again, a duplicate key of the first, while the
# builder modelled it as the separate session "../s2" (the reader rightly reported the key).
TWO_DOTDOT_SESSIONS = [
    Item("good", "", 0, False),
    Item("session-dotdot", "", 0, False),
    Item("session-dotdot", "", 0, False),
]


def test_magicbrush_folder_reader(database_url: str, tmp_path: Path) -> None:
    _run(
        database_url,
        tmp_path,
        MAGICBRUSH_KINDS,
        lambda root, batch, _: write_magicbrush(root, batch, as_zip=False),
        found=(TWO_DOTDOT_SESSIONS,),
    )


def test_magicbrush_zip_reader(database_url: str, tmp_path: Path) -> None:
    _run(
        database_url,
        tmp_path,
        MAGICBRUSH_ZIP_KINDS,
        lambda root, batch, _: write_magicbrush(root, batch, as_zip=True),
        found=(TWO_DOTDOT_SESSIONS,),
    )
