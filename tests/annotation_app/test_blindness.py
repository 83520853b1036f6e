"""Nothing an annotator's browser receives reveals which method made an edit or which items
are gold: page text, widget ids, image URLs, alt texts, image bytes, session state, query
parameters. Scanned on every page an annotator passes through, gold items included."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import delete, select
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from db.models import Annotator, Assignment, StudyItem
from db.models.study import StudyDisplayImage
from db.queries.study_create import create_study
from tests.annotation_app.conftest import StudyApp
from tests.annotation_app.test_annotate_page import answer_current, progress
from tests.study.world import METHODS, build_world


def element_texts(node: Any) -> list[str]:
    """The text of every message the page sends: each element's protobuf, recursively."""
    texts = []
    proto = getattr(node, "proto", None)
    if proto is not None:
        texts.append(str(proto))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            texts.extend(element_texts(child))
    return texts


@pytest.fixture
def media_files(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every media file the app hands to Streamlit, by the id its URL carries."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(
        self: MemoryMediaFileStorage, path_or_data: Any, *args: Any, **kwargs: Any
    ) -> str:
        file_id = original(self, path_or_data, *args, **kwargs)
        files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    return files


def served_images(app: AppTest, media_files: dict[str, bytes]) -> list[bytes]:
    urls = [
        image.url
        for element in app.main
        if type(element).__name__ == "Image"
        for image in element.proto.imgs
    ]
    assert len(urls) == len(set(urls)), "two slots share an image URL"
    return [media_files[url.rsplit("/", 1)[-1].split(".")[0]] for url in urls]


def png_chunks(data: bytes) -> list[str]:
    chunks, offset = [], 8
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        chunks.append(data[offset + 4 : offset + 8].decode("ascii"))
        offset += 12 + length
    return chunks


def assert_blind(app: AppTest, forbidden: list[str]) -> None:
    received = "\n".join(
        [
            *element_texts(app._tree),
            *(f"{key}={value!r}" for key, value in app.session_state.items()),
            repr(dict(app.query_params)),
        ]
    ).lower()
    leaks = [word for word in forbidden if word.lower() in received]
    assert not leaks, f"the annotator's browser receives {leaks}"
    assert set(app.query_params) <= {"token"}
    for value in app.session_state.values():
        assert isinstance(value, bool | str | set), value


def test_nothing_sent_to_an_annotator_reveals_method_or_gold(
    study_app: StudyApp, media_files: dict[str, bytes]
) -> None:
    forbidden = study_app.world.forbidden_strings
    app = study_app.open(study_app.tokens["alice"])
    with session_scope(study_app.engine) as session:
        gold_position = session.scalar(
            select(Assignment.position)
            .join(Annotator, Annotator.id == Assignment.annotator_id)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .where(Annotator.name == "alice", StudyItem.is_gold.is_(True))
        )
    seen_gold = False
    for number in range(1, 5):
        assert progress(app) == f"{number} of 4"
        assert_blind(app, forbidden)
        images = served_images(app, media_files)
        sizes = {Image.open(io.BytesIO(data)).size for data in images}
        assert sizes == {(16, 16)}  # every slot the size of the source
        for data in images:
            assert png_chunks(data) == ["IHDR", "tEXt", "IDAT", "IEND"]
            assert Image.open(io.BytesIO(data)).mode == "RGB"
        seen_gold |= number - 1 == gold_position
        answer_current(app, a="no", b="yes")
        assert_blind(app, forbidden)  # after each answer, and the end page
    assert seen_gold
    for page in (
        study_app.open(),
        study_app.open("wrong"),
        study_app.open(study_app.tokens["bob"]),
    ):
        assert_blind(page, forbidden)


def test_edits_of_another_size_are_shown_at_the_source_size(
    study_app: StudyApp, media_files: dict[str, bytes]
) -> None:
    """A method's output size must not tell it apart: 24 px edits shown at the 16 px source size."""
    world = build_world(study_app.engine, samples=1, edit_size=(24, 24), dataset_name="other")
    with session_scope(study_app.engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=METHODS, annotators=["carol"]
        )
    app = study_app.open(created.annotators[0].token)
    sizes = {Image.open(io.BytesIO(data)).size for data in served_images(app, media_files)}
    assert sizes == {(16, 16)}


def test_a_study_made_before_display_images_sends_the_same_images(
    study_app: StudyApp, media_files: dict[str, bytes]
) -> None:
    """Encoded at creation and spliced, or encoded on the fly for an older study: the
    browser receives the same bytes, so the blinding does not depend on the study's age."""
    from annotation_app import blind_images

    with_display_images = served_images(study_app.open(study_app.tokens["alice"]), media_files)
    with session_scope(study_app.engine) as session:
        session.execute(delete(StudyDisplayImage))
    blind_images._item_pngs.clear()  # type: ignore[attr-defined]
    on_the_fly = served_images(study_app.open(study_app.tokens["alice"]), media_files)
    assert len(on_the_fly) == 3 and on_the_fly == with_display_images
