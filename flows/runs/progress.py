"""A progress bar for a run that may be edited anywhere: it watches the database.

The flow runs in this process or on remote workers; either way every stored edit is a row,
so a background thread counting the run's rows every second shows the same progress
without the flow having to report to the terminal.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine

from flows.runs.digest import progress_count
from flows.runs.plan import load_plan

T = TypeVar("T")
POLL_S = 1.0


def with_run_progress(
    engine: Engine,
    run_id: int,
    work: Callable[[], T],
    *,
    console: Any,
    description: str = "editing",
    disable: bool = False,
) -> T:
    """Run `work()` while a bar shows the run's stored edits out of its planned ones."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    plan = load_plan(engine, run_id)
    stop = threading.Event()
    with Progress(
        TextColumn(f"run {run_id} {description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    ) as progress:
        bar = progress.add_task(description, total=plan.planned)

        def watch() -> None:
            while not stop.is_set():
                # A database hiccup must not kill the bar's thread.
                with contextlib.suppress(Exception):
                    progress.update(bar, completed=progress_count(engine, plan))
                stop.wait(POLL_S)

        watcher = threading.Thread(target=watch, name="run-progress", daemon=True)
        if not disable:
            watcher.start()
        try:
            return work()
        finally:
            stop.set()
            if watcher.is_alive():
                watcher.join(timeout=5)
