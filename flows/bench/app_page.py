"""One annotator running, request by request, what the annotator page runs.

The annotator page, per request: sign in by token and load the first open item (one
transaction); for an item not shown before, its three images as sent (`shown_item_pngs`,
the function the page calls: the display images stored at study creation with each slot's
chunk spliced in, or for a study without them, encoded on the fly), cached per item, then
its clock started; after drawing such an item, the images of the item after it (so
submitting shows that one from the cache). Per click: a callback write (sign in, write) and
the rerun that follows.

Timed operations, each its own list of durations and count of SQL statements:
- `first_item`: the link opened, nothing prepared yet (the images are fetched);
- `next_item`: the rerun after a submit, which shows the following item (images prepared);
- `rerun`: the rerun after any other click;
- `store_answer`, `preference`, `submit`: the callback writes;
- `prefetch`: preparing the next item's images after drawing one: server work, but not
  waited for (the annotator already sees the page).
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine

OPERATIONS = (
    "first_item",
    "next_item",
    "rerun",
    "store_answer",
    "preference",
    "submit",
    "prefetch",
)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class PageTimings:
    """Durations and SQL statement counts per operation, from every annotator's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = threading.local()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statements: dict[str, int] = defaultdict(int)

    def count_statements_of(self, engine: Engine) -> None:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._statement)

    def _statement(self, *_args: Any) -> None:
        operation = getattr(self._current, "operation", None)
        if operation is not None:
            with self._lock:
                self.statements[operation] += 1

    def timed(self, operation: str, work: Callable[[], Any]) -> Any:
        self._current.operation = operation
        start = time.perf_counter()
        try:
            return work()
        finally:
            elapsed = time.perf_counter() - start
            self._current.operation = None
            with self._lock:
                self.seconds[operation].append(elapsed)

    def figures(self) -> dict[str, dict[str, float]]:
        figures = {}
        for operation in OPERATIONS:
            values = self.seconds.get(operation, [])
            if not values:
                continue
            figures[operation] = {
                "count": len(values),
                "median_ms": 1000 * statistics.median(values),
                "p95_ms": 1000 * percentile(values, 0.95),
                "max_ms": 1000 * max(values),
                "statements": self.statements[operation] / len(values),
            }
        return figures


def annotate(
    engine: Engine,
    token: str,
    timings: PageTimings,
    *,
    think_s: float = 0.0,
    seed: int = 0,
) -> int:
    """Answer every item of the annotator holding `token`, pausing `think_s` on average
    (uniform between 0 and twice that) before each click. Returns the items answered."""
    from db.engine import session_scope
    from db.queries.study_annotators import AnnotatorAccess, authenticate
    from db.queries.study_answers import (
        ItemView,
        load_next_item,
        mark_shown,
        record_judgment,
        record_preference,
        submit_item,
    )
    from db.queries.study_display import shown_item_pngs

    rng = random.Random(seed)
    prepared: set[int] = set()  # positions whose images the page's cache holds

    def signed_in(session: Any) -> int:
        access = authenticate(session=session, token=token)
        assert isinstance(access, AnnotatorAccess), access
        return access.annotator_id

    def prepare(annotator_id: int, view: Any) -> None:
        if view.position in prepared:
            return
        with session_scope(engine) as session:
            shown_item_pngs(
                session=session,
                annotator_id=annotator_id,
                position=view.position,
                source_size=view.source_size,
            )
        prepared.add(view.position)

    def draw() -> tuple[int, Any]:
        with session_scope(engine) as session:
            annotator_id = signed_in(session)
            view = load_next_item(session=session, annotator_id=annotator_id)
        if isinstance(view, ItemView):
            prepare(annotator_id, view)
            if not view.started:
                with session_scope(engine) as session:
                    mark_shown(session=session, annotator_id=annotator_id, position=view.position)
        return annotator_id, view

    def prefetch(annotator_id: int, shown: Any) -> None:
        with session_scope(engine) as session:
            following = load_next_item(
                session=session, annotator_id=annotator_id, skip_positions={shown.position}
            )
        if isinstance(following, ItemView):
            prepare(annotator_id, following)

    def render(operation: str) -> Any:
        annotator_id, view = timings.timed(operation, draw)
        if isinstance(view, ItemView) and not view.started:  # the page prefetches
            timings.timed("prefetch", lambda: prefetch(annotator_id, view))
        return view

    def click(operation: str, write: Any, after: str = "rerun", **kwargs: Any) -> Any:
        if think_s > 0:
            time.sleep(rng.uniform(0, 2 * think_s))

        def callback() -> None:
            with session_scope(engine) as session:
                write(session=session, annotator_id=signed_in(session), **kwargs)

        timings.timed(operation, callback)
        return render(after)

    answered = 0
    view = render("first_item")
    while isinstance(view, ItemView):
        position = view.position
        for side in ("A", "B"):
            click("store_answer", record_judgment, position=position, side=side, acceptable=True)
        click("preference", record_preference, position=position, preference="A")
        view = click("submit", submit_item, after="next_item", position=position)
        answered += 1
    return answered
