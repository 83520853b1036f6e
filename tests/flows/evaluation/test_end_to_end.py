"""End to end with the tiny profile's real methods: Hands-off (a 2-weight sweep) and
InstructPix2Pix, through the evaluation loop, the database stage cache and scoring."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import CacheEntry
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.shard import evaluate_shard
from flows.evaluation.stage_cache import DatabaseStageCache
from flows.runs.lifecycle import finish_run
from flows.runs.request import RunRequest, create_run
from flows.scoring import score_run
from tests.flows.helpers import edit_rows, import_synthetic, samples

FAST_HANDSOFF = {
    "resolution": 64,
    "num_inversion_steps": 2,
    "num_edit_steps": 2,
    "num_reg_steps": 0,
    "llm_max_new_tokens": 12,
    "llm_max_attempts": 1,
}
FAST_IP2P = {"num_inference_steps": 2, "resolution": 64}
TINY_NOTE = "tiny profile: random weights, output is noise"


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path, synthetic_dir: Path) -> Engine:
    path = tmp_path / "e2e.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    import_synthetic(engine, synthetic_dir, name="syn")
    return engine


def _methods(engine: Engine, models_dir: Path) -> ProfileMethods:
    return ProfileMethods(
        profile="tiny", models_dir=models_dir, device="cpu", cache=DatabaseStageCache(engine)
    )


def _cache_kinds(engine: Engine) -> dict[str, int]:
    with session_scope(engine) as session:
        rows = session.execute(select(CacheEntry.kind, func.count()).group_by(CacheEntry.kind))
        return {kind: int(count) for kind, count in rows}


def test_tiny_handsoff_and_instruct_pix2pix_end_to_end(
    sqlite_engine: Engine, tiny_models_dir: Path, tiny_profile: Any
) -> None:
    from handsoff_core.metrics import MetricModels

    engine = sqlite_engine
    run_id = create_run(
        engine=engine,
        request=RunRequest(
            dataset="syn",
            methods=["handsoff", "instruct-pix2pix"],
            profile="tiny",
            limit=2,
            weights=[0.75, 1.25],
            params={"handsoff": FAST_HANDSOFF, "instruct-pix2pix": FAST_IP2P},
        ),
    )
    report = evaluate_shard(engine=engine, run_id=run_id, methods=_methods(engine, tiny_models_dir))
    # 2 samples x (2 Hands-off weights + InstructPix2Pix + 2 oracles)
    assert (report.planned, report.done, report.failed) == (10, 10, 0), edit_rows(engine)
    sources = {sample.id: sample for sample in samples(engine)}
    rows = edit_rows(engine)
    for row in rows:
        assert row.status == "done" and row.output_image is not None
    with session_scope(engine) as session:
        from db.models import MethodConfig

        methods = {config.id: config.method for config in session.scalars(select(MethodConfig))}
    handsoff = [row for row in rows if methods[row.method_config_id] == "handsoff"]
    ip2p = [row for row in rows if methods[row.method_config_id] == "instruct-pix2pix"]
    assert len(handsoff) == 4 and len(ip2p) == 2
    for row in handsoff + ip2p:
        assert TINY_NOTE in row.notes  # random-weight outputs say so
        assert row.timings and all(value >= 0 for value in row.timings.values())
    for row in handsoff:
        assert row.before_captions and row.after_captions and row.llm_raw_text is not None
        assert {"caption", "rewrite", "invert", "edit"} <= set(row.timings)
    assert {sources[row.sample_id].external_id for row in rows} == {
        sample.external_id for sample in list(sources.values())[:2]
    }
    # The sweep ran through edit_sweep: one caption, rewrite and inversion per sample.
    assert _cache_kinds(engine) == {"caption": 2, "rewrite": 2, "latents": 2}
    assert finish_run(engine, run_id).status == "completed"

    # A third weight as its own config: captions, rewrites and latents come from the cache.
    third = create_run(
        engine=engine,
        request=RunRequest(
            dataset="syn",
            methods=["handsoff"],
            profile="tiny",
            limit=2,
            params={"handsoff": {**FAST_HANDSOFF, "weight": 1.0}},
            include_oracles=False,
        ),
    )
    report = evaluate_shard(engine=engine, run_id=third, methods=_methods(engine, tiny_models_dir))
    assert report.done == 2
    assert {kind: stats["rate"] for kind, stats in report.cache.items()} == {
        "caption": 1.0,
        "rewrite": 1.0,
        "latents": 1.0,
    }

    scored = score_run(
        engine=engine, run_id=run_id, models=MetricModels.from_profile(tiny_profile), batch_size=8
    )
    assert (scored.scored, scored.failed) == (10, 0)
