"""The Prefect server a command talks to: the configured one, or an ephemeral one started
on first use."""

from __future__ import annotations

import os
import time


def configured_api_url() -> str | None:
    """PREFECT_API_URL, or None when flows would start an ephemeral server of their own."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


def warm_up_server() -> float:
    """Run a trivial flow so that the server (an ephemeral one takes 10-40 s) is up before
    anything is timed; returns the seconds it took."""
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    started = time.perf_counter()
    warm_up()
    return time.perf_counter() - started


def quiet_prefect_console(verbose: bool) -> None:
    """Keep Prefect's console logs to warnings (they still reach the Prefect API/UI), and
    give its embedded server time to start on small machines. Call before importing flows."""
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
