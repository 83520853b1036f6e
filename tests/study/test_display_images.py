"""Every image a study shows is encoded once, at creation; serving an item splices each
slot's chunk into those bytes, and a study without them (made before they existed) is
encoded on the fly into exactly the same bytes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from sqlalchemy import Engine, delete, select

from db.engine import session_scope
from db.image_store import put_png
from db.models import Assignment, Edit, Image, Sample, StudyItem, StudyOption
from db.models.study import StudyDisplayImage
from db.queries.study_answers import ItemImageMissing
from db.queries.study_create import CreatedStudy, create_study
from db.queries.study_display import shown_item_pngs
from db.queries.study_display_binary import binary_results
from db.queries.study_display_png import display_png, slot_chunk_text
from tests.study.world import METHODS, World, build_world

SOURCE_SIZE = (16, 16)  # tiny_image's default: the display size of every item here


def pixels(png: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(png)) as decoded:
        decoded.load()
        return np.asarray(decoded)


def text_chunk(png: bytes) -> dict[str, str]:
    with PILImage.open(io.BytesIO(png)) as decoded:
        decoded.load()
        return dict(decoded.text)


def make_study(engine: Engine, world: World, **options: object) -> CreatedStudy:
    with session_scope(engine) as session:
        return create_study(
            session=session,
            run_id=world.run_id,
            methods=METHODS,
            annotators=["alice"],
            seed=11,
            **options,  # type: ignore[arg-type]
        )


def served(engine: Engine, study: CreatedStudy) -> dict[int, tuple[bytes, bytes, bytes]]:
    """position -> what alice's page sends for that item."""
    with session_scope(engine) as session:
        annotator = study.annotators[0]
        annotator_id = session.scalar(
            select(Assignment.annotator_id)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .where(StudyItem.study_id == study.study_id)
        )
        assert annotator_id is not None and annotator.name == "alice"
        positions = session.scalars(
            select(Assignment.position).where(Assignment.annotator_id == annotator_id)
        ).all()
        return {
            position: shown_item_pngs(
                session=session,
                annotator_id=annotator_id,
                position=position,
                source_size=SOURCE_SIZE,
            )
            for position in positions
        }


def expected_sides(engine: Engine, study: CreatedStudy) -> dict[int, tuple[bytes, bytes, bytes]]:
    """position -> (source, side A, side B) stored images, from the assignment's sides."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                Assignment.position, Assignment.swap_sides, Assignment.item_id, Sample.source_image
            )
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .join(Sample, Sample.id == StudyItem.sample_id)
            .where(StudyItem.study_id == study.study_id)
        ).all()
        options = {
            (item, position): data
            for item, position, data in session.execute(
                select(StudyOption.item_id, StudyOption.position, Image.data).join(
                    Image, Image.sha256 == StudyOption.image_sha256
                )
            ).tuples()
        }
        sources = {sha: data for sha, data in session.execute(select(Image.sha256, Image.data))}
    return {
        position: (
            sources[source],
            options[(item, 1 if swap else 0)],
            options[(item, 0 if swap else 1)],
        )
        for position, swap, item, source in rows
    }


def test_creation_stores_three_display_images_per_item_and_reports_progress(
    engine: Engine,
) -> None:
    world = build_world(engine, samples=4, edit_size=(24, 20))
    told: list[tuple[int, int]] = []
    study = make_study(
        engine, world, gold=2, progress=lambda done, total: told.append((done, total))
    )
    assert told == [(done, 6) for done in range(1, 7)]  # 4 regular items and 2 gold
    with session_scope(engine) as session:
        rows = session.execute(
            select(StudyDisplayImage.item_id, StudyDisplayImage.role, StudyDisplayImage.data)
        ).all()
    assert len(rows) == 3 * (study.items + study.gold_items)
    assert {role for _, role, _ in rows} == {"source", "option0", "option1"}
    for _, _, data in rows:
        with PILImage.open(io.BytesIO(data)) as decoded:
            assert (decoded.size, decoded.mode, decoded.text) == (SOURCE_SIZE, "RGB", {})


def test_each_slot_shows_its_stored_image_with_its_own_chunk(engine: Engine) -> None:
    world = build_world(engine, samples=4, edit_size=(24, 20))  # edits resized to the source
    study = make_study(engine, world, gold=2)
    expected = expected_sides(engine, study)
    for position, pngs in served(engine, study).items():
        for png, stored, slot in zip(pngs, expected[position], ("source", "A", "B"), strict=True):
            assert np.array_equal(pixels(png), pixels(display_png(stored, SOURCE_SIZE)))
            assert text_chunk(png) == {"k": slot_chunk_text(f"{position}/{slot}").decode()}
        assert len(set(pngs)) == 3  # a gold item's source option never shares the source's URL


def test_a_study_without_display_images_is_encoded_on_the_fly_into_the_same_bytes(
    engine: Engine,
) -> None:
    world = build_world(engine, samples=4, edit_size=(24, 20))
    study = make_study(engine, world, gold=2)
    from_stored = served(engine, study)
    with session_scope(engine) as session:  # as a study made before the table existed
        session.execute(delete(StudyDisplayImage))
    assert served(engine, study) == from_stored


def test_an_unreadable_image_leaves_its_item_to_the_page_which_reports_it(
    engine: Engine,
) -> None:
    world = build_world(engine, samples=3)
    with session_scope(engine) as session:
        broken = put_png(session=session, data=b"not a png at all", width=16, height=16, mode="RGB")
        edit = session.get(Edit, world.edit_ids[(world.sample_ids[1], METHODS[0])])
        assert edit is not None
        edit.output_image = broken
    study = make_study(engine, world)
    with session_scope(engine) as session:
        items_with_images = set(session.scalars(select(StudyDisplayImage.item_id)))
        broken_item = session.scalar(
            select(StudyOption.item_id).where(StudyOption.image_sha256 == broken)
        )
    assert broken_item is not None and broken_item not in items_with_images
    assert len(items_with_images) == study.items - 1
    with pytest.raises(OSError):
        served(engine, study)


def test_an_image_missing_from_the_store_is_named_with_its_item(engine: Engine) -> None:
    world = build_world(engine, samples=2)
    with session_scope(engine) as session:
        emptied = put_png(session=session, data=b"", width=16, height=16, mode="RGB")
        edit = session.get(Edit, world.edit_ids[(world.sample_ids[0], METHODS[1])])
        assert edit is not None
        edit.output_image = emptied
    study = make_study(engine, world)
    with pytest.raises(ItemImageMissing, match="an image is missing from the store"):
        served(engine, study)


def test_binary_results_change_only_the_statements_inside(engine: Engine) -> None:
    """On PostgreSQL the display images come in binary format, byte for byte what was
    stored; the connection's cursors are as before afterwards, even after an error."""
    payload = bytes(range(256)) * 64
    with session_scope(engine) as session:
        sha = put_png(session=session, data=payload, width=1, height=1, mode="RGB")
        driver = session.connection().connection.driver_connection
        factory = getattr(driver, "cursor_factory", None)
        with binary_results(session):
            fetched = session.scalar(select(Image.data).where(Image.sha256 == sha))
        assert fetched == payload
        with pytest.raises(ZeroDivisionError), binary_results(session):
            _ = 1 / 0
        assert getattr(driver, "cursor_factory", None) is factory
