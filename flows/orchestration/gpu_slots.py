"""One model-heavy task per GPU, enforced by a Prefect global concurrency limit.

Each CUDA device gets its own limit, `handsoff-gpu-<host>-<index>`, of one slot; a shard
task holds that slot while it loads models and edits, so two workers (or two shards of one
local flow) on the same GPU take turns instead of running out of memory together. The
limit is created on first use (limit 1), so no per-machine setup is needed; raise it with
`prefect gcl update NAME --limit N` for a GPU big enough for several. CPU runs take no slot:
several CPU shards on one machine are allowed (and the integration tests rely on it).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

SLOT_PREFIX = "handsoff-gpu"


def device_slot_name(device: str) -> str | None:
    """The limit name for `device` ("auto", "cuda:1"...); None for devices that take no slot."""
    import torch

    from handsoff_core.device import resolve_device

    resolved = resolve_device(device)
    if resolved.type != "cuda":
        return None
    index = resolved.index if resolved.index is not None else torch.cuda.current_device()
    return f"{SLOT_PREFIX}-{socket.gethostname()}-{index}"


def ensure_limit(name: str, *, limit: int = 1) -> None:
    """Create the global concurrency limit `name` unless it exists (races are harmless)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit)
            )
            logger.info("created concurrency limit %s (%d slot)", name, limit)
        except ObjectAlreadyExists:
            pass


@contextmanager
def model_slot(name: str | None) -> Iterator[None]:
    """Hold one slot of the limit `name` (no-op for None)."""
    if name is None:
        yield
        return
    from prefect.concurrency.sync import concurrency

    ensure_limit(name)
    with concurrency(name, occupy=1, strict=True):
        yield
