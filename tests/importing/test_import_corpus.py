"""One input per kind of badness, across every reader and both backends: each bad record is
rejected with its id and the exact reason, every good one imports once, re-importing adds
nothing, and nothing outside the dataset is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.engine import make_engine, session_scope
from db.models import Sample
from flows.importing import import_dataset_path
from tests.importing.corpus import (
    HUB_PREFIXES,
    JSONL_PREFIXES,
    LIMITS,
    hub_corpus,
    jsonl_corpus,
    magicbrush_corpus,
)

Corpus = Callable[[Path], tuple[Path, dict[str, str], int]]


@pytest.mark.parametrize(
    ("build", "prefixes"),
    [(jsonl_corpus, JSONL_PREFIXES), (magicbrush_corpus, {}), (hub_corpus, HUB_PREFIXES)],
    ids=["jsonl", "magicbrush-folder", "hub-parquet"],
)
def test_every_kind_of_badness_is_one_rejection_with_its_exact_reason(
    database_url: str, tmp_path: Path, build: Corpus, prefixes: dict[str, str]
) -> None:
    path, expected, good = build(tmp_path)
    engine = make_engine(database_url)

    summary = import_dataset_path(engine=engine, path=path, name="corpus", limits=LIMITS)

    reasons = {item.external_id: item.reason for item in summary.rejected}
    assert len(summary.rejected) == len(expected) + len(prefixes), reasons
    assert {key: reasons.get(key) for key in expected} == expected
    for key, prefix in prefixes.items():
        assert reasons[key].startswith(prefix), (key, reasons.get(key))
    assert summary.imported == good
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Sample)) == good

    again = import_dataset_path(engine=engine, path=path, name="corpus", limits=LIMITS)
    assert (again.imported, again.skipped) == (0, good)
    engine.dispose()


def test_the_corpus_covers_at_least_thirty_kinds(tmp_path: Path) -> None:
    kinds = 0
    for build, prefixes in (
        (jsonl_corpus, JSONL_PREFIXES),
        (magicbrush_corpus, {}),
        (hub_corpus, HUB_PREFIXES),
    ):
        _, expected, _ = build(tmp_path / build.__name__)
        kinds += len(expected) + len(prefixes)
    assert kinds >= 30
