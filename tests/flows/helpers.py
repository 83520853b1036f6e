"""Helpers shared by the flow tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from typer.testing import CliRunner

from db.engine import session_scope
from db.models import Edit, Image, Sample
from flows.cli.app import build_app
from flows.importing import import_dataset_path


def import_synthetic(engine: Engine, path: Path, *, name: str) -> str:
    summary = import_dataset_path(engine=engine, path=path, name=name, format="magicbrush")
    assert summary.imported > 0 and not summary.rejected, summary.as_dict()
    return name


def edit_rows(engine: Engine) -> list[Edit]:
    with session_scope(engine) as session:
        return list(session.scalars(select(Edit).order_by(Edit.id)))


def samples(engine: Engine, dataset_id: int | None = None) -> list[Sample]:
    with session_scope(engine) as session:
        query = select(Sample).order_by(Sample.session_id, Sample.turn_index)
        if dataset_id is not None:
            query = query.where(Sample.dataset_id == dataset_id)
        return list(session.scalars(query))


def image_pixels(engine: Engine, sha256: str | None) -> Any:
    import numpy as np

    from db.image_store import get_image

    assert sha256 is not None
    with session_scope(engine) as session:
        return np.asarray(get_image(session=session, sha256=sha256).convert("RGB"))


def image_count(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.scalars(select(Image.sha256)).all())


def keys(rows: Sequence[Edit]) -> list[tuple[int, int, int, str]]:
    return [(row.sample_id, row.method_config_id, row.seed, row.setting) for row in rows]


def invoke_cli(*args: str) -> tuple[int, str]:
    """`handsoff ARGS` in process: (exit code, stdout and stderr)."""
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.output
