"""`handsoff bench flow`: what Prefect costs, and what the stage cache saves.

1. The same run (n samples; Hands-off plus the oracles) is evaluated on fresh databases by
   a plain loop over the core functions (`start_run`, `evaluate_shard`, `finish_run`) and
   by the `evaluate` flow (its tasks call the same functions), `repeats` times each in
   ABBA order. A one-sample warm-up comes first, and the Prefect server is started before
   timing, so its start-up (10-40 s, once per process) is reported separately.
2. A 4-weight sweep on a third fresh database, each weight as its own config (no shared
   `edit_sweep`): the first weight misses the caption, rewrite and latents caches, the
   other three hit them. The hit rates per kind are the stage cache's own counters.
3. Optionally the same sweep through `edit_sweep` (one inversion and reference pass for all
   weights), for the time saved beyond the cache.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from db.engine import make_engine
from db.migrate import upgrade
from flows.bench.sweep_weights import SWEEP_WEIGHTS
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.shard import evaluate_shard
from flows.evaluation.stage_cache import DatabaseStageCache
from flows.importing import import_dataset_path
from flows.runs.lifecycle import finish_run, start_run
from flows.runs.provenance import collect_provenance
from flows.runs.request import RunRequest, create_run

DATASET = "bench"


@dataclass
class FlowBenchmark:
    n: int
    profile: str
    params: dict[str, Any]
    repeats: int = 1  # each path's times are sums over this many runs
    plain_s: float = 0.0
    prefect_s: float = 0.0
    # CPU seconds of this process (the embedded Prefect server is another process): less
    # sensitive than wall time to other load on a shared machine.
    plain_cpu_s: float = 0.0
    prefect_cpu_s: float = 0.0
    server_start_s: float = 0.0
    edits: int = 0
    sweep_s: float = 0.0
    sweep_cache: dict[str, dict[str, float]] = field(default_factory=dict)
    shared_sweep_s: float | None = None

    @property
    def ratio(self) -> float:
        return self.prefect_s / self.plain_s if self.plain_s else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


def _fresh_database(folder: Path, name: str, bench: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{folder / f'{name}.db'}"
    upgrade(url)
    engine = make_engine(url)
    import_dataset_path(engine=engine, path=bench, name=DATASET, format="magicbrush")
    return url, engine


def run_flow_benchmark(
    *,
    n: int,
    profile: str,
    models_dir: Path,
    params: dict[str, Any],
    size: int = 128,
    device: str = "cpu",
    compare_shared_sweep: bool = False,
    repeats: int = 2,
    workdir: Path | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> FlowBenchmark:
    from handsoff_core.data.synthetic import write_synthetic_benchmark

    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="handsoff-bench-flow-") as temporary:
            return run_flow_benchmark(
                n=n,
                profile=profile,
                models_dir=models_dir,
                params=params,
                size=size,
                device=device,
                compare_shared_sweep=compare_shared_sweep,
                repeats=repeats,
                workdir=Path(temporary),
                say=say,
            )
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    bench = folder / "synthetic"
    # Sessions of 1-3 turns: n sessions always hold at least n samples.
    write_synthetic_benchmark(bench, sessions=n, seed=0, size=size, overwrite=True)
    result = FlowBenchmark(n=n, profile=profile, params=params, repeats=repeats)
    request = RunRequest(
        dataset=DATASET, methods=["handsoff"], profile=profile, limit=n, params={"handsoff": params}
    )

    def methods(engine: Engine) -> ProfileMethods:
        return ProfileMethods(
            profile=profile, models_dir=models_dir, device=device, cache=DatabaseStageCache(engine)
        )

    def plain_loop(engine: Engine, run_id: int) -> int:
        start_run(engine, run_id, provenance=collect_provenance(device=device))
        evaluate_shard(engine=engine, run_id=run_id, methods=methods(engine))
        return finish_run(engine, run_id).done

    # 0. warm-up on one sample: library imports, tiny models built, weights in the page
    # cache, so neither timed path pays for being first.
    say("warming up on one sample")
    _, warm_engine = _fresh_database(folder, "warm-up", bench)
    plain_loop(warm_engine, create_run(engine=warm_engine, request=replace(request, limit=1)))

    # 1. the same run, plain and through Prefect, in ABBA order over fresh databases: load
    # from other processes on a small machine drifts, and torch's CPU threads suffer badly
    # from it, so neither path may always go first.
    from flows.orchestration.evaluate import evaluate
    from flows.orchestration.server import warm_up_server

    result.server_start_s = warm_up_server()
    say(f"Prefect server up in {result.server_start_s:.0f} s")

    def timed(path: str, index: int) -> None:
        url, engine = _fresh_database(folder, f"{path}-{index}", bench)
        run_id = create_run(engine=engine, request=request)
        say(f"{path} over {n} samples ({index + 1} of {repeats})")
        started, cpu = time.perf_counter(), time.process_time()
        if path == "plain":
            result.edits = plain_loop(engine, run_id)
        else:
            evaluate(run_id, device=device, database_url=url)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        if path == "plain":
            result.plain_s += wall
            result.plain_cpu_s += used
        else:
            result.prefect_s += wall
            result.prefect_cpu_s += used

    for index in range(repeats):
        order = ("plain", "prefect") if index % 2 == 0 else ("prefect", "plain")
        for path in order:
            timed(path, index)

    # 2. a 4-weight sweep, each weight its own config: the stage cache at work
    say(f"{len(SWEEP_WEIGHTS)}-weight sweep, one config per weight")
    _, sweep_engine = _fresh_database(folder, "sweep", bench)
    sweep = RunRequest(
        dataset=DATASET,
        methods=["handsoff"],
        profile=profile,
        limit=n,
        weights=SWEEP_WEIGHTS,
        params={"handsoff": params},
        include_oracles=False,
    )
    run_id = create_run(engine=sweep_engine, request=sweep)
    started = time.perf_counter()
    report = evaluate_shard(
        engine=sweep_engine, run_id=run_id, methods=methods(sweep_engine), use_sweeps=False
    )
    result.sweep_s = time.perf_counter() - started
    result.sweep_cache = report.cache

    # 3. the same sweep through edit_sweep
    if compare_shared_sweep:
        say("the same sweep through edit_sweep")
        _, shared_engine = _fresh_database(folder, "shared-sweep", bench)
        run_id = create_run(engine=shared_engine, request=sweep)
        started = time.perf_counter()
        evaluate_shard(
            engine=shared_engine, run_id=run_id, methods=methods(shared_engine), use_sweeps=True
        )
        result.shared_sweep_s = time.perf_counter() - started
    return result
