"""Importing datasets into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from db.engine import make_engine, session_scope
from db.models import Dataset, Sample
from db.models import Image as StoredImage
from flows.importing import import_dataset_path
from handsoff_core.data.synthetic.writer import write_synthetic_benchmark


@pytest.fixture(scope="module")
def synthetic_benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "synthetic"
    write_synthetic_benchmark(out, sessions=6, seed=3, size=64)
    return out


def _turns(path: Path) -> int:
    sessions = json.loads((path / "edit_sessions.json").read_text())
    return sum(len(turns) for turns in sessions.values())


def test_import_stores_every_turn_once_and_reimport_adds_nothing(
    database_url: str, synthetic_benchmark: Path
) -> None:
    engine = make_engine(database_url)
    expected = _turns(synthetic_benchmark)

    first = import_dataset_path(engine=engine, path=synthetic_benchmark, name="syn")
    assert (first.imported, first.skipped, first.rejected_count) == (expected, 0, 0)
    assert first.dataset_created

    second = import_dataset_path(engine=engine, path=synthetic_benchmark, name="syn")
    assert (second.imported, second.skipped, second.rejected_count) == (0, expected, 0)
    assert not second.dataset_created

    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(Sample)) == expected
        assert session.scalar(select(func.count()).select_from(Dataset)) == 1
        # Multi-turn sessions keep their order: turn n+1's source is turn n's target.
        rows = session.execute(
            select(
                Sample.session_id, Sample.turn_index, Sample.source_image, Sample.target_image
            ).order_by(Sample.session_id, Sample.turn_index)
        ).all()
        previous: dict[str, str | None] = {}
        for session_id, turn, source, target in rows:
            if turn > 1:
                assert source == previous[session_id]
            previous[session_id] = target
        # Content addressing: chained turns share images, so fewer images than references.
        stored = session.scalar(select(func.count()).select_from(StoredImage))
        assert stored is not None and stored < 3 * expected
    engine.dispose()


def test_a_corrupt_image_is_rejected_by_id_and_the_rest_imports(
    database_url: str, synthetic_benchmark: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(synthetic_benchmark, broken)
    sessions = json.loads((broken / "edit_sessions.json").read_text())
    victim_session = sorted(sessions)[0]
    victim_input = sessions[victim_session][0]["input"]
    (broken / "images" / victim_session / victim_input).write_bytes(b"\x89PNG\r\n\x1a\nnot-a-png")

    engine = make_engine(database_url)
    summary = import_dataset_path(engine=engine, path=broken, name="broken")
    assert summary.rejected_count >= 1
    assert all(victim_session in item.external_id for item in summary.rejected)
    assert "cannot decode" in summary.rejected[0].reason
    assert summary.imported == _turns(broken) - summary.rejected_count
    engine.dispose()


def test_rgba_source_is_converted_with_a_note(database_url: str, tmp_path: Path) -> None:
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 128))
    image.save(tmp_path / "a.png")
    (tmp_path / "data.jsonl").write_text(
        json.dumps({"id": "a", "image": "a.png", "instruction": "make it blue"}) + "\n"
    )
    engine = make_engine(database_url)
    summary = import_dataset_path(engine=engine, path=tmp_path / "data.jsonl", name="own")
    assert (summary.imported, summary.converted) == (1, 1)
    with session_scope(engine) as session:
        sample = session.scalars(select(Sample)).one()
        assert any("RGBA" in note for note in sample.import_notes)
        data = session.scalar(
            select(StoredImage.data).where(StoredImage.sha256 == sample.source_image)
        )
        assert data is not None
        stored = Image.open(io.BytesIO(data))
        assert stored.mode == "RGB"
        # Half-transparent red on white composites to (255, 127, 127).
        assert stored.getpixel((0, 0)) == pytest.approx((255, 127, 127), abs=1)
    engine.dispose()
