"""Images as the annotator's browser receives them: uniform, so they reveal nothing.

What makes them uniform (one encoding for every image, at the item's source display size,
and a per-slot text chunk so two slots never share a media URL) is described and done in
db.queries.study_display_png; the images are encoded once when the study is created and the
page only splices each slot's chunk into the stored bytes (db.queries.study_display).

Images are fetched once per item and cached by the assignment's handle (annotator,
position): the rerun after each click reads no image bytes.
"""

from __future__ import annotations

import streamlit as st
from PIL import Image

from annotation_app import resources
from db.engine import session_scope
from db.queries.study_answers import ItemImageMissing, ItemView, load_next_item
from db.queries.study_display import shown_item_pngs
from db.queries.study_display_png import NotAPng


class ImageUnavailable(Exception):
    """An image of the item is missing or cannot be decoded."""


UNAVAILABLE = (ItemImageMissing, NotAPng, OSError, ValueError, Image.DecompressionBombError)


# Three images per entry (about 1.5 MB at 512 px): 64 items in memory at most.
@st.cache_data(max_entries=64, show_spinner=False)
def _item_pngs(
    annotator_id: int, position: int, images_key: str, source_size: tuple[int, int]
) -> tuple[bytes, bytes, bytes]:
    with session_scope(resources.engine()) as session:
        return shown_item_pngs(
            session=session, annotator_id=annotator_id, position=position, source_size=source_size
        )


def blind_item_images(annotator_id: int, view: ItemView) -> tuple[bytes, bytes, bytes]:
    """(source, side A, side B) ready to send; ImageUnavailable if one cannot be shown."""
    try:
        return _item_pngs(annotator_id, view.position, view.images_key, view.source_size)
    except UNAVAILABLE as exc:
        raise ImageUnavailable(f"item {view.number}: an image cannot be shown") from exc


def prefetch_next_item(annotator_id: int, current: ItemView, skipped: set[int]) -> None:
    """Prepare the images of the item that follows `current`, so submitting shows it at
    once. Called after the page is drawn (the annotator is already looking at it); any
    problem is left for that item's own render to report."""
    try:
        with session_scope(resources.engine()) as session:
            following = load_next_item(
                session=session,
                annotator_id=annotator_id,
                skip_positions=skipped | {current.position},
            )
        if isinstance(following, ItemView):
            _item_pngs(
                annotator_id, following.position, following.images_key, following.source_size
            )
    except UNAVAILABLE:
        pass
