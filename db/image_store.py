"""The content-addressed image store: PNG bytes in the `image` table, keyed by sha256."""

from __future__ import annotations

import hashlib
import io

from PIL import Image as PILImage
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Image
from db.upsert import insert_ignore_statement


class ImageNotFound(LookupError):
    pass


def png_bytes(image: PILImage.Image) -> bytes:
    buffer = io.BytesIO()
    # compress_level=1: encoding dominates import time; storage is cheap by comparison.
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put_image(*, session: Session, image: PILImage.Image) -> str:
    """Store `image` as PNG once; return its sha256. Safe under concurrent writers."""
    data = png_bytes(image)
    return put_png(
        session=session, data=data, width=image.width, height=image.height, mode=image.mode
    )


def put_png(*, session: Session, data: bytes, width: int, height: int, mode: str) -> str:
    digest = sha256_hex(data)
    values = {"sha256": digest, "data": data, "width": width, "height": height, "mode": mode}
    connection = session.connection()
    connection.execute(insert_ignore_statement(connection.dialect.name, Image), values)
    return digest


def get_image_bytes(*, session: Session, sha256: str) -> bytes:
    data = session.scalar(select(Image.data).where(Image.sha256 == sha256))
    if data is None:
        raise ImageNotFound(f"image {sha256[:12]}… is not in the store")
    return data


def get_image(*, session: Session, sha256: str) -> PILImage.Image:
    image = PILImage.open(io.BytesIO(get_image_bytes(session=session, sha256=sha256)))
    image.load()
    return image
