"""How the flows' tasks retry: only transient database errors, with back-off, after the
in-function retries of `flows.retry` gave up (a database away for more than about half a
minute). Every task that touches the database takes its retry settings from here."""

from __future__ import annotations

from typing import Any

from prefect.tasks import exponential_backoff

from flows.retry import is_transient_database_error

TASK_RETRIES = 3


def prefect_retry_condition(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect `retry_condition_fn`: retry a task only for transient database errors."""
    try:
        state.result()
    except Exception as error:
        return is_transient_database_error(error)
    return False


def database_retries(*, backoff_factor: float) -> dict[str, Any]:
    """`@task` keyword arguments: TASK_RETRIES retries at backoff_factor x (1, 2, 4) s."""
    return {
        "retries": TASK_RETRIES,
        "retry_delay_seconds": exponential_backoff(backoff_factor=backoff_factor),
        "retry_condition_fn": prefect_retry_condition,
    }
