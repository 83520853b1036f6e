"""Each record is written in its own savepoint: a record that passes validation but that the
database refuses is rejected with its id and the database's reason, and the rest is kept."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import make_engine, session_scope
from db.models import Dataset, Sample
from flows.importing import import_records
from handsoff_core.data.records import ImageBlob, SampleRecord
from tests.core.data.builders import png


def _record(external_id: str, session_id: str, turn: int, colour: int) -> SampleRecord:
    return SampleRecord(
        external_id=external_id,
        session_id=session_id,
        turn_index=turn,
        instruction=f"edit {external_id}",
        source=ImageBlob(png((colour, 0, 0)), f"{external_id}.png"),
        mask=None,
        target=ImageBlob(png((0, colour, 0)), f"{external_id}-out.png"),
        input_caption_global=None,
        output_caption_global=None,
        output_caption_local=None,
    )


def test_a_record_the_database_refuses_is_rejected_alone(database_url: str) -> None:
    engine = make_engine(database_url)
    # "clash" differs from "first" by id but repeats its (session, turn): only the database's
    # unique constraint on (dataset, session, turn) can see that. Its images are new, so the
    # savepoint must also roll back the images it stored.
    records = [
        _record("first", "s", 1, 10),
        _record("clash", "s", 1, 20),
        _record("after", "s", 2, 30),
        _record("other", "t", 1, 40),
    ]
    summary = import_records(
        engine=engine, name="sp", records=records, source_format="jsonl", source_path=None
    )

    assert summary.imported == 3
    ((rejected_id, reason),) = [(r.external_id, r.reason) for r in summary.rejected]
    assert rejected_id == "clash"
    assert reason.startswith("'clash': the database refused the record (")
    assert "unique" in reason.lower() and "\n" not in reason
    with session_scope(engine) as session:
        stored = session.execute(
            select(Sample.external_id, Sample.session_id, Sample.turn_index)
            .join(Dataset)
            .where(Dataset.name == "sp")
            .order_by(Sample.external_id)
        ).all()
    assert [tuple(row) for row in stored] == [
        ("after", "s", 2),
        ("first", "s", 1),
        ("other", "t", 1),
    ]

    again = import_records(
        engine=engine, name="sp", records=records, source_format="jsonl", source_path=None
    )
    assert (again.imported, again.skipped, [r.external_id for r in again.rejected]) == (
        0,
        3,
        ["clash"],
    )
    engine.dispose()
