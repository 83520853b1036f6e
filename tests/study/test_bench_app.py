"""`handsoff bench app`: every request the page makes is timed once, its SQL counted, and the
bench leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from db.engine import make_engine, session_scope
from db.models import Assignment, Dataset, Image, Judgment, Run, Study
from db.models.study import StudyDisplayImage
from flows.cli.app import build_app

ANNOTATORS, ITEMS = 3, 2


def bench(database_url: str, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        build_app(),
        ["bench", "app", "--database-url", database_url, "--annotators", str(ANNOTATORS),
         "--items", str(ITEMS), "--size", "16", "--json", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows_left(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        left = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Study, Image, Run, Dataset, Assignment, Judgment, StudyDisplayImage)
        }
    engine.dispose()
    return left  # type: ignore[return-value]


@pytest.mark.parametrize("display_images", ["--display-images", "--no-display-images"])
def test_every_request_is_timed_once_and_nothing_is_left(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, display_images: str
) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    figures = bench(database_url, display_images)
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert (figures["backend"], figures["items_answered"]) == (backend, ANNOTATORS * ITEMS)
    assert figures["display_images"] is (display_images == "--display-images")
    operations = figures["operations"]
    answered = ANNOTATORS * ITEMS
    assert {name: op["count"] for name, op in operations.items()} == {
        "first_item": ANNOTATORS,  # the link opened
        "next_item": answered,  # after every submit: the following item, or the end page
        "rerun": 3 * answered,  # after both verdicts and the preference
        "store_answer": 2 * answered,
        "preference": answered,
        "submit": answered,
        "prefetch": answered,  # once per item shown for the first time
    }
    assert all(op["median_ms"] <= op["p95_ms"] <= op["max_ms"] for op in operations.values())
    # Round trips of the reads: sign in (2), the item (1), its images (1; a study without
    # display images reads the stored ones too), its clock (1).
    on_the_fly = 0 if display_images == "--display-images" else 1
    assert operations["first_item"]["statements"] <= 5 + on_the_fly
    assert operations["next_item"]["statements"] <= 4  # images prepared: no image query
    assert operations["rerun"]["statements"] <= 3
    assert operations["prefetch"]["statements"] <= 2 + on_the_fly
    assert rows_left(database_url) == dict.fromkeys(
        ("study", "image", "run", "dataset", "assignment", "judgment", "study_display_image"), 0
    )


def test_keep_leaves_the_answered_study(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    figures = bench(database_url, "--keep")
    left = rows_left(database_url)
    assert figures["study_id"] is not None and left["study"] == 1
    assert left["assignment"] == ANNOTATORS * ITEMS
    assert left["judgment"] == 2 * ANNOTATORS * ITEMS
    assert left["image"] == left["study_display_image"] == 3 * ITEMS
