"""A seeded synthetic evaluation and study, written as rows into a fresh migrated database on
SQLite and on PostgreSQL (the `database_url` fixture of tests/db_fixtures.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from flows.bench.synthetic_run import (
    SyntheticEvaluation,
    SyntheticSpec,
    populate_synthetic_evaluation,
)
from flows.bench.synthetic_study import (
    SyntheticStudy,
    SyntheticStudySpec,
    populate_synthetic_study,
)

SPEC = SyntheticSpec(samples=30, weights=(0.75, 1.0, 1.25), seed=3)
STUDY_SPEC = SyntheticStudySpec(gold_items=4, annotators=6, overlap=3, seed=3)


@dataclass
class SyntheticDatabase:
    url: str
    engine: Engine
    evaluation: SyntheticEvaluation
    study: SyntheticStudy


@pytest.fixture
def report_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def synthetic_db(database_url: str, report_engine: Engine) -> SyntheticDatabase:
    evaluation = populate_synthetic_evaluation(report_engine, SPEC, name="synthetic-report")
    study = populate_synthetic_study(report_engine, evaluation, STUDY_SPEC, name="study-a")
    return SyntheticDatabase(database_url, report_engine, evaluation, study)
