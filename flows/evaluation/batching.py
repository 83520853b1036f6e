"""Running a method over a batch so that one item's failure stays that item's.

- An `ItemError` (bad image, unparseable rewrite...) comes back in place from `edit_batch`.
- Out of memory on the accelerator is not the items' fault: the batch is halved and
  retried (the smaller size is kept for the rest of the shard); at batch size 1 it is
  retried with back-off a few times before the item is recorded as failed.
- Any other exception from a batch (a model error) is located by editing the batch's
  items one at a time, so only the item that raises it is recorded as failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flows.retry import is_out_of_memory
from handsoff_core.errors import ItemError
from handsoff_core.methods.base import EditMethod, EditRequest, EditResult

logger = logging.getLogger(__name__)

ItemOutcome = EditResult | Exception
# Back-off at batch size 1 after out-of-memory: another process may be releasing memory.
OOM_RETRY_DELAYS_S = (1.0, 4.0)


@dataclass
class BatchSize:
    """The batch size in force; shrinks on out-of-memory and stays shrunk."""

    value: int
    halvings: int = 0

    def halve(self) -> bool:
        if self.value <= 1:
            return False
        self.value = max(1, self.value // 2)
        self.halvings += 1
        return True


def free_accelerator_memory() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover
        pass


def _one_by_one(method: EditMethod, requests: Sequence[EditRequest]) -> list[ItemOutcome]:
    outcomes: list[ItemOutcome] = []
    for request in requests:
        try:
            outcomes.append(method.edit(request))
        except Exception as error:
            if is_out_of_memory(error):
                raise
            outcomes.append(error)
    return outcomes


def edit_with_fallbacks(
    method: EditMethod,
    requests: Sequence[EditRequest],
    batch_size: BatchSize,
    *,
    sleep: Callable[[float], Any] = time.sleep,
) -> list[ItemOutcome]:
    """One outcome per request, in order: an `EditResult` or the exception of that item."""
    outcomes: list[ItemOutcome] = []
    position = 0
    oom_retries = 0
    while position < len(requests):
        chunk = requests[position : position + batch_size.value]
        try:
            try:
                chunk_outcomes: list[ItemOutcome] = list(method.edit_batch(chunk))
            except Exception as error:
                if is_out_of_memory(error):
                    raise
                logger.warning(
                    "batch of %d (%s…) raised %s; editing its items one at a time",
                    len(chunk),
                    chunk[0].item_id,
                    type(error).__name__,
                )
                chunk_outcomes = _one_by_one(method, chunk)
        except Exception as error:
            if not is_out_of_memory(error):  # pragma: no cover - re-raised above only for OOM
                raise
            free_accelerator_memory()
            if batch_size.halve():
                logger.warning("out of memory: batch size now %d", batch_size.value)
                continue
            if oom_retries < len(OOM_RETRY_DELAYS_S):
                delay = OOM_RETRY_DELAYS_S[oom_retries]
                oom_retries += 1
                logger.warning("out of memory at batch size 1; retrying in %.0f s", delay)
                sleep(delay)
                continue
            chunk_outcomes = [
                ItemError(f"{request.item_id}: out of memory at batch size 1 ({error})")
                for request in chunk
            ]
        if len(chunk_outcomes) != len(chunk):
            raise RuntimeError(
                f"{type(method).__name__}.edit_batch returned {len(chunk_outcomes)} results "
                f"for {len(chunk)} requests"
            )
        outcomes.extend(chunk_outcomes)
        position += len(chunk)
        oom_retries = 0
    return outcomes
