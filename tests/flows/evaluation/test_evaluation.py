"""The plain evaluation loop under the `evaluate` flow (no Prefect): outputs, resumption,
local failures, shards, multi-turn chaining, out-of-memory and model errors."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sqlalchemy import Engine, delete, select, update

from db.engine import session_scope
from db.models import Edit, Run, Sample
from db.queries.edits import duplicate_edit_keys, orphan_images
from flows.evaluation.method_runtime import ProfileMethods
from flows.evaluation.shard import evaluate_shard
from flows.runs.lifecycle import finish_run
from flows.runs.request import RunRequest, create_run
from handsoff_core.errors import ItemError
from handsoff_core.methods.base import EditMethod, EditRequest, EditResult, MethodConfig
from handsoff_core.methods.oracles import IdentityOracle
from tests.flows.helpers import edit_rows, image_pixels, keys, samples


@pytest.fixture
def methods(tiny_models_dir: Path) -> ProfileMethods:
    return ProfileMethods(profile="tiny", models_dir=tiny_models_dir, device="cpu")


def _run(engine: Engine, dataset: str, **fields: Any) -> int:
    request = RunRequest(
        dataset=dataset, methods=fields.pop("methods", ["identity"]), profile="tiny", **fields
    )
    return create_run(engine=engine, request=request)


def test_oracles_store_source_and_target(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    run_id = _run(engine, dataset)
    report = evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    all_samples = samples(engine)
    assert (report.planned, report.done, report.failed) == (2 * len(all_samples),) * 2 + (0,)
    by_key = {(row.sample_id, row.method_config_id): row for row in edit_rows(engine)}
    identity_id, truth_id = sorted({key[1] for key in by_key})
    for sample in all_samples:
        identity = by_key[(sample.id, identity_id)]
        truth = by_key[(sample.id, truth_id)]
        assert identity.status == truth.status == "done" and identity.run_id == run_id
        assert np.array_equal(
            image_pixels(engine, identity.output_image), image_pixels(engine, sample.source_image)
        )
        assert np.array_equal(
            image_pixels(engine, truth.output_image), image_pixels(engine, sample.target_image)
        )
        assert identity.notes == ["oracle: unedited source"]
    outcome = finish_run(engine, run_id)
    assert (outcome.status, outcome.done, outcome.failed, outcome.skipped) == (
        "completed",
        report.planned,
        0,
        0,
    )
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None and run.status == "completed"
        assert run.counts["done"] == report.planned and run.finished_at is not None


def test_rerun_does_only_what_is_missing(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    run_id = _run(engine, dataset)
    evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    before = edit_rows(engine)
    lost = before[:3]
    with session_scope(engine) as session:
        session.execute(delete(Edit).where(Edit.id.in_([row.id for row in lost])))
    report = evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    assert (report.done, report.already_done, report.failed) == (3, len(before) - 3, 0)
    after = edit_rows(engine)
    assert sorted(keys(after)) == sorted(keys(before))
    kept = {row.id for row in before[3:]}
    assert kept <= {row.id for row in after}  # the done ones were not rewritten
    # A second run over the same configs finds everything done by the first.
    second = _run(engine, dataset)
    report = evaluate_shard(engine=engine, run_id=second, methods=methods)
    assert (report.done, report.already_done) == (0, len(before))
    assert finish_run(engine, second).status == "completed"


def test_failure_is_recorded_on_its_edit_and_the_run_goes_on(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    first = samples(engine)[0]
    with session_scope(engine) as session:
        session.execute(update(Sample).where(Sample.id == first.id).values(target_image=None))
    run_id = _run(engine, dataset)
    report = evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    assert (report.failed, report.done) == (1, report.planned - 1)
    (failed,) = [row for row in edit_rows(engine) if row.status == "failed"]
    assert failed.sample_id == first.id and failed.output_image is None
    assert failed.error is not None and failed.error.startswith("RecordRejected: item ")
    assert first.external_id in failed.error and "no target image" in failed.error
    outcome = finish_run(engine, run_id)
    assert (outcome.status, outcome.failed, outcome.done) == ("partial", 1, report.planned - 1)
    # A rerun retries the failure (attempts counted) and still records it, once.
    report = evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    assert (report.failed, report.done) == (1, 0)
    (failed,) = [row for row in edit_rows(engine) if row.status == "failed"]
    assert failed.attempts == 2


def test_shards_split_the_run_exactly(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    run_id = _run(engine, dataset)
    reports = [
        evaluate_shard(engine=engine, run_id=run_id, methods=methods, shard_index=i, shard_count=3)
        for i in range(3)
    ]
    rows = edit_rows(engine)
    assert sum(report.done for report in reports) == len(rows) == 2 * len(samples(engine))
    assert all(report.done > 0 for report in reports)
    assert finish_run(engine, run_id).status == "completed"


def test_multi_turn_edits_the_methods_own_previous_output(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    run_id = _run(engine, dataset, setting="multi-turn")
    evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    rows = edit_rows(engine)
    identity_id = min(row.method_config_id for row in rows)
    output = {
        row.sample_id: row.output_image for row in rows if row.method_config_id == identity_id
    }
    first_source: dict[str, str] = {}
    later_turns = 0
    for sample in samples(engine):
        first_source.setdefault(sample.session_id, sample.source_image)
        # The identity "edit" of turn n+1 starts from its own turn-n output, which is the
        # session's first source, not the gold input of turn n+1 (the gold turn-n target).
        assert np.array_equal(
            image_pixels(engine, output[sample.id]),
            image_pixels(engine, first_source[sample.session_id]),
        )
        later_turns += sample.turn_index > 1
    assert later_turns > 0
    assert {row.setting for row in rows} == {"multi-turn"}


def test_multi_turn_skips_turns_after_a_failed_one(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    session_samples: dict[str, list[Sample]] = {}
    for sample in samples(engine):
        session_samples.setdefault(sample.session_id, []).append(sample)
    turns = max(session_samples.values(), key=len)
    assert len(turns) > 1
    with session_scope(engine) as session:
        session.execute(update(Sample).where(Sample.id == turns[0].id).values(target_image=None))
    run_id = _run(engine, dataset, setting="multi-turn")
    report = evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    assert (report.failed, report.skipped) == (1, len(turns) - 1)
    outcome = finish_run(engine, run_id)
    (truth,) = [item for item in outcome.configs if item.method == "ground-truth"]
    assert (truth.failed, truth.skipped) == (1, len(turns) - 1)
    assert outcome.status == "partial"


class _FlakyIdentity:
    """The identity oracle behind a model that runs out of memory on batches larger than
    `max_batch`, and raises a model error (not an ItemError) on some items."""

    def __init__(self, config: MethodConfig, *, max_batch: int, broken: set[str]) -> None:
        self.config = config
        self.oracle = IdentityOracle(config)
        self.max_batch = max_batch
        self.broken = broken
        self.batch_sizes: list[int] = []

    def edit(self, request: EditRequest) -> EditResult:
        if request.item_id in self.broken:
            raise RuntimeError(f"{request.item_id}: model exploded")
        return self.oracle.edit(request)

    def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
        self.batch_sizes.append(len(requests))
        if len(requests) > self.max_batch:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if any(request.item_id in self.broken for request in requests):
            raise RuntimeError("shape mismatch somewhere in the batch")
        return [self.oracle.edit(request) for request in requests]


class _Provider:
    def __init__(self, method: _FlakyIdentity, fallback: ProfileMethods) -> None:
        self.method = method
        self.fallback = fallback
        self.output_notes: list[str] = []

    def method_for(self, config: MethodConfig) -> EditMethod:
        if config.method == "identity":
            return self.method
        return self.fallback.method_for(config)


def test_out_of_memory_halves_the_batch_and_model_errors_stay_local(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    all_samples = samples(engine)
    broken = all_samples[2].external_id
    run_id = _run(engine, dataset, include_oracles=False)
    config = MethodConfig(method="identity", params={})
    flaky = _FlakyIdentity(config, max_batch=1, broken={broken})
    report = evaluate_shard(
        engine=engine, run_id=run_id, methods=_Provider(flaky, methods), batch_size=4
    )
    assert report.batch_size == 1
    assert flaky.batch_sizes[:3] == [4, 2, 1]  # halved twice, then kept at 1
    assert (report.done, report.failed) == (len(all_samples) - 1, 1)
    (failed,) = [row for row in edit_rows(engine) if row.status == "failed"]
    assert failed.error == f"RuntimeError: {broken}: model exploded"


def test_a_result_of_the_wrong_size_is_a_failed_edit(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    class Shrinking(_FlakyIdentity):
        def edit(self, request: EditRequest) -> EditResult:
            result = self.oracle.edit(request)
            result.image = result.image.resize((8, 8))
            return result

        def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
            return [self.edit(request) for request in requests]

    run_id = _run(engine, dataset, include_oracles=False)
    method = Shrinking(MethodConfig(method="identity", params={}), max_batch=9, broken=set())
    report = evaluate_shard(engine=engine, run_id=run_id, methods=_Provider(method, methods))
    assert report.failed == len(samples(engine)) and report.done == 0
    assert all("8x8 image for a 64x64 source" in str(row.error) for row in edit_rows(engine))
    with session_scope(engine) as session:
        assert orphan_images(session=session) == []


def test_edit_rows_are_unique_and_images_referenced(
    engine: Engine, dataset: str, methods: ProfileMethods
) -> None:
    run_id = _run(engine, dataset)
    evaluate_shard(engine=engine, run_id=run_id, methods=methods)
    evaluate_shard(engine=engine, run_id=run_id, methods=methods, shard_index=1, shard_count=2)
    with session_scope(engine) as session:
        assert duplicate_edit_keys(session=session) == 0
        assert orphan_images(session=session) == []
        assert session.scalar(select(Edit.run_id).distinct()) == run_id
