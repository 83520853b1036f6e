"""Display images of a study: encoded once when the study is created, spliced when served.

Encoding three images per item and annotator on the page cost 50-150 ms each and, with
twenty annotators, saturated the server. A study's images are the same for every annotator
(only the per-slot chunk differs), so `store_display_images` encodes each item's source and
two options once, at creation, into `study_display_image`; `shown_item_pngs` then reads them
in one query and splices each slot's chunk in (microseconds, no decoding).

Items without display rows (studies made before they existed, or an image that could not be
decoded at creation) are encoded on the fly, the same way, so the browser receives the same
bytes either way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from PIL import Image as PILImage
from sqlalchemy import Integer, Select, and_, bindparam, insert, select
from sqlalchemy.orm import Session, aliased

from db.models import Assignment, Image, Sample, StudyItem, StudyOption
from db.models.study import StudyDisplayImage
from db.queries.study import StudyError
from db.queries.study_answers import item_images
from db.queries.study_display_binary import binary_results
from db.queries.study_display_png import display_png, display_size, with_slot_chunk

logger = logging.getLogger(__name__)

# Canonical roles of an item's images, in `study_display_image.role`.
SOURCE, OPTION_0, OPTION_1 = "source", "option0", "option1"
# The page's slots, in the order of `shown_item_pngs`; the chunk depends on them.
SLOTS = ("source", "A", "B")
# What decoding a stored image can raise for bytes that are not a readable image.
UNREADABLE = (OSError, ValueError, PILImage.DecompressionBombError)

Progress = Callable[[int, int], None]  # (items done, items in all)


def store_display_images(
    *, session: Session, study_id: int, progress: Progress | None = None
) -> int:
    """Encode and store the three display images of every item of the study; returns how
    many items got them. An item with a missing or unreadable image gets none (logged): its
    page encodes on the fly and reports the item unavailable, as it always did. Written with
    Core inserts, item by item, so a large study's images are never all in memory."""
    items = session.execute(_images_of_items(study_id)).all()
    stored = 0
    for done, item in enumerate(items, start=1):
        roles = {SOURCE: item.source_image, OPTION_0: item.option_0, OPTION_1: item.option_1}
        size = display_size((int(item.width), int(item.height)))
        try:
            encoded = _encoded_once(session, roles, size)
        except (LookupError, *UNREADABLE) as exc:
            logger.warning("study item %s: no display images stored (%s)", item.item_id, exc)
        else:
            session.execute(
                insert(StudyDisplayImage),
                [
                    {"item_id": item.item_id, "role": role, "data": encoded[sha]}
                    for role, sha in roles.items()
                ],
            )
            stored += 1
        if progress is not None:
            progress(done, len(items))
    return stored


def _images_of_items(study_id: int) -> Select[*tuple[Any, ...]]:
    source = aliased(Image)
    option_0, option_1 = aliased(StudyOption), aliased(StudyOption)
    return (
        select(
            StudyItem.id.label("item_id"),
            Sample.source_image,
            source.width,
            source.height,
            option_0.image_sha256.label("option_0"),
            option_1.image_sha256.label("option_1"),
        )
        .join(Sample, Sample.id == StudyItem.sample_id)
        .join(source, source.sha256 == Sample.source_image)
        .join(option_0, and_(option_0.item_id == StudyItem.id, option_0.position == 0))
        .join(option_1, and_(option_1.item_id == StudyItem.id, option_1.position == 1))
        .where(StudyItem.study_id == study_id)
        .order_by(StudyItem.id)
    )


def _encoded_once(
    session: Session, roles: dict[str, str], size: tuple[int, int]
) -> dict[str, bytes]:
    """sha256 -> display PNG for the item's images; a gold item shows its source twice and
    encodes it once."""
    shas = set(roles.values())
    query = select(Image.sha256, Image.data).where(Image.sha256.in_(shas))
    stored = {sha: data for sha, data in session.execute(query).tuples()}
    missing = [sha[:12] for sha in shas if not stored.get(sha)]
    if missing:
        raise LookupError(f"image {', '.join(missing)} missing from the store")
    return {sha: display_png(stored[sha], size) for sha in shas}


# Built once, with bound parameters: it runs for every item an annotator opens.
@functools.cache
def _display_images_query() -> Select[*tuple[Any, ...]]:
    source, first, second = (aliased(StudyDisplayImage) for _ in range(3))
    return (
        select(Assignment.swap_sides, source.data, first.data, second.data)
        .outerjoin(source, and_(source.item_id == Assignment.item_id, source.role == SOURCE))
        .outerjoin(first, and_(first.item_id == Assignment.item_id, first.role == OPTION_0))
        .outerjoin(second, and_(second.item_id == Assignment.item_id, second.role == OPTION_1))
        .where(
            Assignment.annotator_id == bindparam("annotator_id", type_=Integer),
            Assignment.position == bindparam("position", type_=Integer),
        )
    )


def shown_item_pngs(
    *, session: Session, annotator_id: int, position: int, source_size: tuple[int, int]
) -> tuple[bytes, bytes, bytes]:
    """(source, side A, side B) of the annotator's item at `position`, ready to send: the
    stored display images with each slot's chunk, in one query. Without display rows, the
    stored images encoded now (ItemImageMissing if one is missing; OSError / ValueError /
    DecompressionBombError if one cannot be decoded)."""
    with binary_results(session):
        row = session.execute(
            _display_images_query(), {"annotator_id": annotator_id, "position": position}
        ).first()
    if row is None:
        raise StudyError(f"annotator {annotator_id} has no item at position {position}")
    swap_sides, *displayed = row
    if all(displayed):
        source_png, png_0, png_1 = displayed
        pngs = [source_png, *((png_1, png_0) if swap_sides else (png_0, png_1))]
    else:
        size = display_size(source_size)
        stored = item_images(session=session, annotator_id=annotator_id, position=position)
        pngs = [display_png(png, size) for png in stored]
    source_png, a, b = (
        with_slot_chunk(png, f"{position}/{slot}") for png, slot in zip(pngs, SLOTS, strict=True)
    )
    return source_png, a, b
