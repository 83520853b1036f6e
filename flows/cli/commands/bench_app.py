"""`handsoff bench app`: server-side time to load the next item and to store an answer, with
N annotators working at once (default 20), on the configured database (PostgreSQL is the
case that matters; SQLite runs too and says so).

Each annotator is a thread running exactly what the app's page runs per request (see
`annotate`): the first render of an item (with its three images' bytes), and per click a
callback write (store an answer, submit) and the rerun of the page that follows it.
Streamlit serves every browser session from a thread of one process, so threads in one
process are the faithful model, GIL included. By default annotators do not pause to think
(--think-ms 0): the worst case for contention; a think time (uniform around the given mean,
before every click) models people. The image re-encoding the page adds (once per item,
cached) is not part of these figures. The bench writes its own dataset, run and study, and
deletes them afterwards unless --keep.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import defaultdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.common import console, emit_json, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from flows.cli.app import CommandGroups

OPERATIONS = ("load_item", "rerun", "store_answer", "preference", "submit")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def bench_images(count: int, size: int, seed: int) -> list[Any]:
    """Photo-like test images (smooth gradients plus mild noise) so PNG sizes are realistic."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size, dtype=np.float32)
    images = []
    for _ in range(count):
        base = (
            rng.uniform(0, 255, 3) * ramp[None, :, None]
            + rng.uniform(0, 255, 3) * ramp[:, None, None] * 0.5
        )
        noisy = base + rng.normal(0, 6, (size, size, 3))
        images.append(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB"))
    return images


def build_bench_study(
    engine: Engine, *, annotators: int, items: int, size: int, tag: str
) -> tuple[int, list[str], dict[str, list[Any]]]:
    """A dataset, run, two configs with edits on every sample, and a study that gives every
    item to every annotator. Returns (study id, tokens, ids of rows to delete)."""
    from db.engine import session_scope
    from db.image_store import put_image
    from db.models import Dataset, Edit, MethodConfig, Run, RunMethodConfig, Sample
    from db.queries.study_create import create_study

    created_rows: dict[str, list[Any]] = defaultdict(list)
    images = iter(bench_images(items * 3, size, seed=0))
    with session_scope(engine) as session:
        dataset = Dataset(name=f"bench-app-{tag}", source_format="bench")
        session.add(dataset)
        session.flush()
        run = Run(dataset_id=dataset.id, profile="bench", seed=0)
        session.add(run)
        session.flush()
        configs = []
        for method in ("handsoff", "instruct-pix2pix"):
            config = MethodConfig(method=method, params={}, config_hash=uuid.uuid4().hex * 2)
            session.add(config)
            session.flush()
            session.add(RunMethodConfig(run_id=run.id, method_config_id=config.id))
            configs.append(config)
        for index in range(items):
            source = put_image(session=session, image=next(images))
            sample = Sample(
                dataset_id=dataset.id,
                external_id=f"b{index}",
                session_id=f"b{index}",
                turn_index=1,
                instruction=f"bench instruction {index}",
                source_image=source,
            )
            session.add(sample)
            session.flush()
            created_rows["image"].append(source)
            for config in configs:
                output = put_image(session=session, image=next(images))
                created_rows["image"].append(output)
                session.add(
                    Edit(
                        run_id=run.id,
                        sample_id=sample.id,
                        method_config_id=config.id,
                        seed=0,
                        status="done",
                        output_image=output,
                    )
                )
        session.flush()
        created = create_study(
            session=session,
            run_id=run.id,
            methods=["handsoff", "instruct-pix2pix"],
            name=f"bench-app-{tag}",
            annotators=[f"bench{i:02d}" for i in range(annotators)],
            overlap=annotators,
        )
        created_rows["study"].append(created.study_id)
        created_rows["run"].append(run.id)
        created_rows["dataset"].append(dataset.id)
        created_rows["method_config"].extend(config.id for config in configs)
    return created.study_id, [a.token for a in created.annotators], created_rows


def delete_bench_rows(engine: Engine, rows: dict[str, list[Any]]) -> None:
    from sqlalchemy import delete

    from db.engine import session_scope
    from db.models import Dataset, Image, MethodConfig, Run, Study

    with session_scope(engine) as session:
        session.execute(delete(Study).where(Study.id.in_(rows["study"])))
        session.execute(delete(Run).where(Run.id.in_(rows["run"])))
        session.execute(delete(Dataset).where(Dataset.id.in_(rows["dataset"])))
        session.execute(delete(MethodConfig).where(MethodConfig.id.in_(rows["method_config"])))
        session.execute(delete(Image).where(Image.sha256.in_(rows["image"])))


def annotate(
    engine: Engine,
    token: str,
    timings: dict[str, list[float]],
    lock: Any,
    think_s: float = 0.0,
    seed: int = 0,
) -> int:
    """One annotator answering every item, pausing `think_s` on average before a click.

    Timed as the page runs them: `load_item` is the first render of an item (sign in, load,
    fetch its three images (the page's per-item cache miss), start its clock); every click
    is a callback write (`store_answer` for an acceptability answer, `submit`) followed by
    a rerun of the page (`rerun`: sign in, load; no image bytes)."""
    import random

    from db.engine import session_scope
    from db.queries.study_annotators import AnnotatorAccess, authenticate
    from db.queries.study_answers import (
        ItemView,
        item_images,
        load_next_item,
        mark_shown,
        record_judgment,
        record_preference,
        submit_item,
    )

    rng = random.Random(seed)
    mine: dict[str, list[float]] = defaultdict(list)

    def signed_in(session: Any) -> int:
        access = authenticate(session=session, token=token)
        assert isinstance(access, AnnotatorAccess)
        return access.annotator_id

    def render(operation: str) -> Any:
        start = time.perf_counter()
        with session_scope(engine) as session:
            annotator_id = signed_in(session)
            view = load_next_item(session=session, annotator_id=annotator_id)
        if isinstance(view, ItemView) and not view.started:
            with session_scope(engine) as session:
                item_images(session=session, annotator_id=annotator_id, position=view.position)
            with session_scope(engine) as session:
                mark_shown(session=session, annotator_id=annotator_id, position=view.position)
        mine[operation].append(time.perf_counter() - start)
        return view

    def click(operation: str, write: Any, **kwargs: Any) -> Any:
        if think_s > 0:
            time.sleep(rng.uniform(0, 2 * think_s))
        start = time.perf_counter()
        with session_scope(engine) as session:
            write(session=session, annotator_id=signed_in(session), **kwargs)
        mine[operation].append(time.perf_counter() - start)
        return render("rerun")

    answered = 0
    view = render("load_item")
    while isinstance(view, ItemView):
        position = view.position
        for side in ("A", "B"):
            click("store_answer", record_judgment, position=position, side=side, acceptable=True)
        click("preference", record_preference, position=position, preference="A")
        view = click("submit", submit_item, position=position)
        answered += 1
        if isinstance(view, ItemView):  # the rerun after submit is the next item's first render
            mine["load_item"].append(mine["rerun"].pop())
    with lock:
        for operation, values in mine.items():
            timings[operation].extend(values)
    return answered


def register(groups: CommandGroups) -> None:
    @groups.bench.command("app")
    def bench_app_command(
        annotators: Annotated[int, typer.Option("--annotators", min=1)] = 20,
        items: Annotated[int, typer.Option("--items", min=1, help="Items per annotator.")] = 30,
        size: Annotated[int, typer.Option("--size", min=16, help="Image side in pixels.")] = 512,
        database_url: Annotated[
            str | None, typer.Option("--database-url", help="Default: the configured database.")
        ] = None,
        think_ms: Annotated[
            float, typer.Option("--think-ms", min=0, help="Mean pause before each request.")
        ] = 0.0,
        keep: Annotated[bool, typer.Option("--keep", help="Keep the bench study.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Median and p95 server-side time to load an item and store an answer."""
        from db.engine import make_engine
        from db.settings import load_settings
        from flows.cli.database import open_database

        settings = load_settings(database_url=database_url) if database_url else get_settings()
        open_database(settings)
        engine = make_engine(settings.url, pool_size=annotators + 5, max_overflow=annotators)
        backend = engine.dialect.name
        if backend != "postgresql":
            console.print(f"[yellow]{backend}: the figures that matter are on PostgreSQL[/]")
        tag = uuid.uuid4().hex[:8]
        console.print(f"building {items} items x {annotators} annotators ({size} px images)…")
        study_id, tokens, rows = build_bench_study(
            engine, annotators=annotators, items=items, size=size, tag=tag
        )
        timings: dict[str, list[float]] = defaultdict(list)
        lock = threading.Lock()
        start_line = threading.Barrier(annotators)
        answered: list[int] = []

        def worker(token: str, seed: int) -> None:
            start_line.wait()
            answered.append(annotate(engine, token, timings, lock, think_ms / 1000, seed))

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

        figures = {
            operation: {
                "count": len(timings[operation]),
                "median_ms": 1000 * statistics.median(timings[operation]),
                "p95_ms": 1000 * percentile(timings[operation], 0.95),
                "max_ms": 1000 * max(timings[operation]),
            }
            for operation in OPERATIONS
        }
        summary = {
            "backend": backend,
            "database": settings.redacted_url(),
            "annotators": annotators,
            "items_per_annotator": items,
            "image_px": size,
            "think_ms": think_ms,
            "items_answered": sum(answered),
            "wall_s": wall,
            "items_per_s": sum(answered) / wall,
            "operations": figures,
            "study_id": study_id if keep else None,
        }
        if as_json:
            emit_json(summary)
            return
        console.print(
            f"{backend}: {annotators} annotators (think {think_ms:.0f} ms), "
            f"{sum(answered)} items in {wall:.1f} s "
            f"({summary['items_per_s']:.0f} items/s)"
        )
        for operation, figure in figures.items():
            console.print(
                f"  {operation:<13} median {figure['median_ms']:7.1f} ms   "
                f"p95 {figure['p95_ms']:7.1f} ms   max {figure['max_ms']:7.1f} ms   "
                f"(n={figure['count']})"
            )
