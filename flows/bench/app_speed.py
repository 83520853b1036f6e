"""Server-side time to show the next item and to store an answer, with N annotators working
at once, on one database (PostgreSQL is the case that matters; SQLite runs too).

Each annotator is a thread running what the annotator page runs per request
(`flows.bench.app_page`): Streamlit serves every browser session from a thread of one
process, so threads in one process are the faithful model, GIL included. The study's
images are encoded when it is created (not timed); `display_images=False` models a study
made before that, whose page encodes them on the fly. With `think_ms` 0 annotators do not
pause to think: the worst case for contention; a think time (uniform around the given mean,
before every click) models people. The bench writes its own dataset, run and study, and
deletes them afterwards unless `keep`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AppSpeed:
    backend: str
    database: str  # its URL, password hidden
    annotators: int
    items_per_annotator: int
    image_px: int
    think_ms: float
    display_images: bool
    items_answered: int
    wall_s: float
    # per operation of flows.bench.app_page.OPERATIONS: count, median_ms, p95_ms, max_ms,
    # statements (SQL statements per request)
    operations: dict[str, dict[str, float]]
    study_id: int | None  # the kept study, else None

    @property
    def items_per_s(self) -> float:
        return self.items_answered / self.wall_s

    def as_dict(self) -> dict[str, Any]:
        """The figures as `handsoff bench app --json` prints them."""
        return {
            "backend": self.backend,
            "database": self.database,
            "annotators": self.annotators,
            "items_per_annotator": self.items_per_annotator,
            "image_px": self.image_px,
            "think_ms": self.think_ms,
            "display_images": self.display_images,
            "items_answered": self.items_answered,
            "wall_s": self.wall_s,
            "items_per_s": self.items_per_s,
            "operations": self.operations,
            "study_id": self.study_id,
        }


def measure_app_speed(
    *,
    url: str,
    annotators: int,
    items: int,
    size: int,
    think_ms: float = 0.0,
    display_images: bool = True,
    keep: bool = False,
    say: Callable[[str], None] = lambda _text: None,
) -> AppSpeed:
    """`annotators` threads each answer `items` items of a bench study of `size` px images
    on the database at `url` (its schema at head), all starting at once."""
    from sqlalchemy.engine import make_url

    from db.engine import make_engine
    from flows.bench.app_page import PageTimings, annotate
    from flows.bench.app_study import build_bench_study, delete_bench_rows

    # Every annotator holds a connection while working; a few spare for the statistics.
    engine = make_engine(url, pool_size=annotators + 5, max_overflow=annotators)
    backend = engine.dialect.name
    tag = uuid.uuid4().hex[:8]
    say(f"building {items} items x {annotators} annotators ({size} px images)…")
    study_id, tokens, rows = build_bench_study(
        engine,
        annotators=annotators,
        items=items,
        size=size,
        tag=tag,
        display_images=display_images,
    )
    timings = PageTimings()
    timings.count_statements_of(engine)
    start_line = threading.Barrier(annotators)
    answered: list[int] = []

    def worker(token: str, seed: int) -> None:
        start_line.wait()
        answered.append(annotate(engine, token, timings, think_s=think_ms / 1000, seed=seed))

    threads = [
        threading.Thread(target=worker, args=(token, seed)) for seed, token in enumerate(tokens)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if not keep:
        delete_bench_rows(engine, rows)
    engine.dispose()
    return AppSpeed(
        backend=backend,
        database=make_url(url).render_as_string(hide_password=True),
        annotators=annotators,
        items_per_annotator=items,
        image_px=size,
        think_ms=think_ms,
        display_images=display_images,
        items_answered=sum(answered),
        wall_s=wall,
        operations=timings.figures(),
        study_id=study_id if keep else None,
    )
