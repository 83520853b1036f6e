"""What every tiny builder shares: seeded construction and atomic saving."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator for a build, restoring the caller's state afterwards."""
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        yield
    finally:
        torch.random.set_rng_state(state)


def save_atomically(path: Path, write: Callable[[Path], None], *, marker: str) -> None:
    """Write a model folder into a staging folder, then move it into place.

    A half-written model is never seen as present; if another process finished first (its
    `marker` file exists), its folder is kept.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        write(staging)
        if (path / marker).is_file():
            return
        if path.exists():
            shutil.rmtree(path)
        staging.rename(path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
