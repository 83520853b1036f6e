"""Evaluating one shard of a run: the plain function under the `evaluate` flow.

For each (sample, config) of the shard that is not done yet: build the request (the gold
source, or in the multi-turn setting the method's own output of the previous turn), edit
in batches, and store each outcome on its own. Rerunning does only what is missing; the
database's unique key makes a second copy of an edit impossible whatever happens.

A weight sweep (configs of one method that differ only in `weight`) goes through the
method's `edit_sweep` when it has one: one caption, rewrite, inversion and reference pass
for all the weights of a sample.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from db.engine import session_scope
from db.models import EditStatus, Setting
from db.queries.edits import EditState, edit_states
from flows.evaluation.batching import BatchSize, edit_with_fallbacks, free_accelerator_memory
from flows.evaluation.method_runtime import MethodProvider
from flows.evaluation.storing import Stored, store_outcome
from flows.retry import is_out_of_memory, retry_database
from flows.runs.plan import (
    ImageReader,
    PlannedConfig,
    RunPlan,
    SampleRef,
    chunks,
    load_plan,
    previous_turns,
    shard_samples,
    turn_levels,
)
from handsoff_core.methods.base import EditRequest, EditResult
from handsoff_core.methods.registry import ORACLE_METHODS, WEIGHT_PARAM

logger = logging.getLogger(__name__)


@dataclass
class ShardReport:
    run_id: int
    shard_index: int
    shard_count: int
    planned: int = 0  # (sample, config) items in this shard
    done: int = 0  # edits this call stored
    failed: int = 0  # failures this call recorded
    skipped: int = 0  # not attempted: the previous turn has no output (multi-turn)
    already_done: int = 0  # done before this call (earlier attempt, another run or worker)
    batch_size: int = 0  # the batch size in force at the end (smaller after out of memory)
    seconds: float = 0.0
    cache: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def config_groups(
    configs: Sequence[PlannedConfig], *, use_sweeps: bool
) -> list[list[PlannedConfig]]:
    """Configs grouped so a weight sweep runs together; everything else alone, in order."""
    if not use_sweeps:
        return [[config] for config in configs]
    groups: dict[str, list[PlannedConfig]] = {}
    for config in configs:
        params = dict(config.config.params)
        if WEIGHT_PARAM in params:
            params.pop(WEIGHT_PARAM)
            key = json.dumps([config.config.method, params], sort_keys=True, default=str)
        else:
            key = config.config.config_hash()
        groups.setdefault(key, []).append(config)
    return list(groups.values())


class _ShardEvaluator:
    def __init__(
        self,
        engine: Engine,
        plan: RunPlan,
        methods: MethodProvider,
        report: ShardReport,
        batch_size: BatchSize,
        on_item: Callable[[str], None] | None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.methods = methods
        self.report = report
        self.batch_size = batch_size
        self.on_item = on_item
        self.images = ImageReader(engine)
        self.previous = previous_turns(plan.samples) if plan.setting == Setting.MULTI_TURN else {}
        self._profile_notes: list[str] | None = None

    # -- reading state ----------------------------------------------------------------
    def states(self, group: Sequence[PlannedConfig]) -> dict[tuple[int, int], EditState]:
        def read() -> dict[tuple[int, int], EditState]:
            with session_scope(self.engine) as session:
                return edit_states(
                    session=session,
                    dataset_id=self.plan.dataset_id,
                    method_config_ids=[config.id for config in group],
                    seed=self.plan.seed,
                    setting=self.plan.setting,
                )

        return retry_database(read, what=f"run {self.plan.run_id}: reading edit states")

    def source_of(
        self, sample: SampleRef, config: PlannedConfig, states: dict[tuple[int, int], EditState]
    ) -> str | None:
        """The image this config edits for `sample`; None when the previous turn has none."""
        previous = self.previous.get(sample.id)
        if previous is None:
            return sample.source_image
        state = states.get((previous, config.id))
        if state is None or state.status != EditStatus.DONE.value:
            return None
        return state.output_image

    def request(self, sample: SampleRef, source_sha: str) -> EditRequest:
        return EditRequest(
            item_id=sample.external_id,
            source_image=self.images.get(source_sha),
            instruction=sample.instruction,
            seed=self.plan.seed,
            gold_input_caption=sample.input_caption_global,
            gold_output_caption=sample.output_caption_global,
            target_image=self.images.get(sample.target_image) if sample.target_image else None,
        )

    def notes_for(self, config: PlannedConfig) -> list[str]:
        # Outputs of a random-weight profile must say so; the oracles use no model.
        if config.config.method in ORACLE_METHODS:
            return []
        if self._profile_notes is None:
            self._profile_notes = list(self.methods.output_notes)
        return self._profile_notes

    # -- writing ----------------------------------------------------------------------
    def store(
        self,
        sample: SampleRef,
        config: PlannedConfig,
        outcome: EditResult | Exception,
        source: Any,
    ) -> None:
        stored = store_outcome(
            self.engine,
            plan=self.plan,
            sample=sample,
            config=config,
            outcome=outcome,
            source=source,
            extra_notes=self.notes_for(config),
        )
        if stored is Stored.DONE:
            self.report.done += 1
        elif stored is Stored.FAILED:
            self.report.failed += 1
        else:
            self.report.already_done += 1
        if self.on_item is not None:
            self.on_item(config.label)

    def fail_all(
        self, samples: Sequence[SampleRef], config: PlannedConfig, error: Exception
    ) -> None:
        """A method that cannot be built (model unavailable): every pending item fails."""
        states = self.states([config])
        for sample in samples:
            state = states.get((sample.id, config.id))
            if state is not None and state.status == EditStatus.DONE.value:
                continue
            source_sha = self.source_of(sample, config, states)
            if source_sha is None:
                continue
            self.store(sample, config, error, self.images.get(source_sha))

    # -- editing ----------------------------------------------------------------------
    def run_group(self, group: list[PlannedConfig], samples: Sequence[SampleRef]) -> None:
        states = self.states(group)
        if all(
            (state := states.get((sample.id, config.id))) is not None
            and state.status == EditStatus.DONE.value
            for sample in samples
            for config in group
        ):
            # Nothing missing: count it without building the method (or loading models).
            self.report.already_done += len(samples) * len(group)
            return
        try:
            method = self.methods.method_for(group[0].config)
        except Exception as error:
            if is_out_of_memory(error):
                raise
            logger.error("%s: cannot build the method: %s", group[0].label, error)
            for config in group:
                self.fail_all(samples, config, error)
            return
        sweep = getattr(method, "edit_sweep", None)
        if len(group) > 1 and callable(sweep):
            self.run_sweep(group, samples, sweep)
            return
        for config in group:
            self.run_config(config, samples)

    def run_config(self, config: PlannedConfig, samples: Sequence[SampleRef]) -> None:
        method = self.methods.method_for(config.config)
        for level in turn_levels(samples, self.plan.setting):
            states = self.states([config])
            pending: list[tuple[SampleRef, str]] = []
            for sample in level:
                state = states.get((sample.id, config.id))
                if state is not None and state.status == EditStatus.DONE.value:
                    self.report.already_done += 1
                    continue
                source_sha = self.source_of(sample, config, states)
                if source_sha is None:
                    self.report.skipped += 1
                    continue
                pending.append((sample, source_sha))
            for batch in chunks(pending, max(self.batch_size.value, 1)):
                requests = [self.request(sample, sha) for sample, sha in batch]
                outcomes = edit_with_fallbacks(method, requests, self.batch_size)
                for (sample, _), request, outcome in zip(batch, requests, outcomes, strict=True):
                    self.store(sample, config, outcome, request.source_image)

    def run_sweep(
        self,
        group: list[PlannedConfig],
        samples: Sequence[SampleRef],
        sweep: Callable[[EditRequest, Sequence[float]], list[EditResult]],
    ) -> None:
        # Sweeps run in the single-turn setting only (see `evaluate_shard`): every weight
        # edits the same gold source.
        states = self.states(group)
        for sample in samples:
            needed = [
                config
                for config in group
                if (state := states.get((sample.id, config.id))) is None
                or state.status != EditStatus.DONE.value
            ]
            self.report.already_done += len(group) - len(needed)
            if not needed:
                continue
            request = self.request(sample, sample.source_image)
            weights = [float(config.config.params[WEIGHT_PARAM]) for config in needed]
            outcomes: list[EditResult | Exception]
            try:
                results = sweep(request, weights)
                by_hash = {result.config_hash: result for result in results}
                outcomes = [
                    by_hash.get(config.config.config_hash())
                    or RuntimeError(
                        f"{sample.external_id}: the sweep returned no result for "
                        f"weight {config.config.params[WEIGHT_PARAM]}"
                    )
                    for config in needed
                ]
            except Exception as error:
                if is_out_of_memory(error):
                    free_accelerator_memory()
                outcomes = [error] * len(needed)
            for config, outcome in zip(needed, outcomes, strict=True):
                self.store(sample, config, outcome, request.source_image)


def evaluate_shard(
    *,
    engine: Engine,
    run_id: int,
    methods: MethodProvider,
    shard_index: int = 0,
    shard_count: int = 1,
    batch_size: int = 4,
    use_sweeps: bool = True,
    on_item: Callable[[str], None] | None = None,
) -> ShardReport:
    """Do what is missing of shard `shard_index` of `shard_count` of run `run_id`."""
    started = time.perf_counter()
    plan = load_plan(engine, run_id)
    samples = shard_samples(
        plan.samples, shard_index=shard_index, shard_count=shard_count, setting=plan.setting
    )
    report = ShardReport(
        run_id=run_id,
        shard_index=shard_index,
        shard_count=shard_count,
        planned=len(samples) * len(plan.configs),
    )
    size = BatchSize(max(1, batch_size))
    evaluator = _ShardEvaluator(engine, plan, methods, report, size, on_item)
    # Multi-turn chains differ per weight (each continues from its own output): no sweeps.
    groups = config_groups(
        plan.configs, use_sweeps=use_sweeps and plan.setting != Setting.MULTI_TURN
    )
    logger.info(
        "run %d shard %d/%d: %d samples x %d configs",
        run_id,
        shard_index,
        shard_count,
        len(samples),
        len(plan.configs),
    )
    for group in groups:
        evaluator.run_group(group, samples)
    report.batch_size = size.value
    report.seconds = time.perf_counter() - started
    cache = getattr(methods, "cache", None)
    if cache is not None and hasattr(cache, "hit_rates"):
        report.cache = cache.hit_rates()
    logger.info(
        "run %d shard %d/%d: %d done, %d failed, %d skipped, %d already done in %.1f s",
        run_id,
        shard_index,
        shard_count,
        report.done,
        report.failed,
        report.skipped,
        report.already_done,
        report.seconds,
    )
    return report
