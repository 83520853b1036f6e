"""Transient failures and what to do about them.

A database that restarts or drops a connection (`OperationalError`, `InterfaceError`, a
connection marked invalidated) is worth retrying with back-off: the engine's
`pool_pre_ping` hands out a fresh connection once the server is back. Everything else is
either an item's own failure (recorded on its edit) or a bug (raised). How Prefect tasks
retry on top of this is `flows.retry_policy`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)
T = TypeVar("T")

# 0.5 + 1 + 2 + 4 + 8 + 8 s: a PostgreSQL restart (a second or two) or a failover of
# a few seconds is ridden out; a database that stays away fails the task, whose own
# Prefect retries then take over.
DATABASE_ATTEMPTS = 7
DATABASE_BASE_DELAY_S = 0.5
DATABASE_MAX_DELAY_S = 8.0


def is_transient_database_error(error: BaseException) -> bool:
    if isinstance(error, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA (or MPS) out of memory: retried with a smaller batch, not an item failure."""
    try:
        import torch

        if isinstance(error, torch.cuda.OutOfMemoryError):
            return True
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return isinstance(error, RuntimeError) and "out of memory" in str(error).lower()


def retry_database(
    operation: Callable[[], T],
    *,
    what: str,
    attempts: int = DATABASE_ATTEMPTS,
    base_delay_s: float = DATABASE_BASE_DELAY_S,
    max_delay_s: float = DATABASE_MAX_DELAY_S,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """Run `operation` (one whole transaction), retrying transient database errors."""
    delay = base_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except Exception as error:
            if attempt == attempts or not is_transient_database_error(error):
                raise
            logger.warning(
                "%s: database unavailable (attempt %d of %d), retrying in %.1f s: %s",
                what,
                attempt,
                attempts,
                delay,
                str(error).splitlines()[0] if str(error) else type(error).__name__,
            )
            sleep(delay)
            delay = min(delay * 2, max_delay_s)
    raise AssertionError("unreachable")  # pragma: no cover
