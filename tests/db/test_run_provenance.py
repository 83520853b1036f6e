"""Concurrent shards add their provenance entries without overwriting each other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import Dataset, Run
from db.queries.runs import merge_run_provenance


def test_concurrent_merges_keep_every_shard(engine: Engine) -> None:
    with session_scope(engine) as session:
        dataset = Dataset(name="d", source_format="jsonl", source_path=None)
        session.add(dataset)
        session.flush()
        run = Run(dataset_id=dataset.id, profile="tiny", seed=0, provenance={"git": {"sha": "x"}})
        session.add(run)
        session.flush()
        run_id = run.id

    def add_shard(index: int) -> None:
        with session_scope(engine) as session:
            merge_run_provenance(
                session=session, run_id=run_id, patch={"shards": {f"{index}/16": {"pid": index}}}
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(add_shard, range(16)))

    with session_scope(engine) as session:
        provenance = session.get(Run, run_id).provenance  # type: ignore[union-attr]
    assert set(provenance["shards"]) == {f"{index}/16" for index in range(16)}
    assert provenance["git"] == {"sha": "x"}
