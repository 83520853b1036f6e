"""What a run asks for, as plain values: its samples, its configs, and how they shard.

A shard is computed, not sent: every worker reads the same plan from the database and
keeps the samples whose position falls in its shard, so a shard is named by two integers
(index, count) and a rerun of any shard finds the same samples. Multi-turn runs shard by
session, since turn n+1 starts from the method's own output of turn n.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image
from sqlalchemy import Engine

from db.engine import session_scope
from db.image_store import get_image
from db.models import Setting
from db.models.methods import config_label
from db.queries.runs import get_run, run_method_configs, run_samples
from flows.retry import retry_database
from handsoff_core.methods.base import MethodConfig


@dataclass(frozen=True)
class SampleRef:
    """The fields of a sample that editing needs (images by hash, loaded on demand)."""

    id: int
    external_id: str
    session_id: str
    turn_index: int
    instruction: str
    source_image: str
    target_image: str | None
    input_caption_global: str | None
    output_caption_global: str | None


@dataclass(frozen=True)
class PlannedConfig:
    id: int  # method_config.id
    config: MethodConfig

    @property
    def label(self) -> str:
        return config_label(self.config.method, self.config.params, self.config.config_hash())


@dataclass(frozen=True)
class RunPlan:
    run_id: int
    dataset_id: int
    profile: str
    seed: int
    setting: str
    samples: list[SampleRef]
    configs: list[PlannedConfig]

    @property
    def planned(self) -> int:
        return len(self.samples) * len(self.configs)


def load_plan(engine: Engine, run_id: int) -> RunPlan:
    def read() -> RunPlan:
        with session_scope(engine) as session:
            run = get_run(session=session, run_id=run_id)
            samples = [
                SampleRef(
                    id=sample.id,
                    external_id=sample.external_id,
                    session_id=sample.session_id,
                    turn_index=sample.turn_index,
                    instruction=sample.instruction,
                    source_image=sample.source_image,
                    target_image=sample.target_image,
                    input_caption_global=sample.input_caption_global,
                    output_caption_global=sample.output_caption_global,
                )
                for sample in run_samples(session=session, run=run)
            ]
            configs = [
                PlannedConfig(
                    id=row.id, config=MethodConfig(method=row.method, params=dict(row.params))
                )
                for row in run_method_configs(session=session, run_id=run_id)
            ]
            return RunPlan(
                run_id=run.id,
                dataset_id=run.dataset_id,
                profile=run.profile,
                seed=run.seed,
                setting=run.setting,
                samples=samples,
                configs=configs,
            )

    return retry_database(read, what=f"run {run_id}: reading the plan")


def shard_samples(
    samples: Sequence[SampleRef], *, shard_index: int, shard_count: int, setting: str
) -> list[SampleRef]:
    """The samples of one shard: every `shard_count`-th sample (or session, multi-turn)."""
    if shard_count < 1 or not 0 <= shard_index < shard_count:
        raise ValueError(f"shard {shard_index} of {shard_count} does not exist")
    if setting != Setting.MULTI_TURN:
        return [s for position, s in enumerate(samples) if position % shard_count == shard_index]
    sessions = list(dict.fromkeys(sample.session_id for sample in samples))
    mine = {
        session
        for position, session in enumerate(sessions)
        if position % shard_count == shard_index
    }
    return [sample for sample in samples if sample.session_id in mine]


def turn_levels(samples: Sequence[SampleRef], setting: str) -> list[list[SampleRef]]:
    """Single-turn: one level. Multi-turn: level k holds each session's k-th turn in the run,
    so a level only starts once the level before it is stored."""
    if setting != Setting.MULTI_TURN:
        return [list(samples)]
    by_session: OrderedDict[str, list[SampleRef]] = OrderedDict()
    for sample in sorted(samples, key=lambda s: (s.session_id, s.turn_index)):
        by_session.setdefault(sample.session_id, []).append(sample)
    depth = max((len(turns) for turns in by_session.values()), default=0)
    return [
        [turns[level] for turns in by_session.values() if len(turns) > level]
        for level in range(depth)
    ]


def previous_turns(samples: Sequence[SampleRef]) -> dict[int, int]:
    """{sample id: the id of the previous turn of its session within `samples`}."""
    previous: dict[int, int] = {}
    last: dict[str, SampleRef] = {}
    for sample in sorted(samples, key=lambda s: (s.session_id, s.turn_index)):
        if sample.session_id in last:
            previous[sample.id] = last[sample.session_id].id
        last[sample.session_id] = sample
    return previous


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ImageReader:
    """Decoded images by sha256, with a small LRU: the oracles and every config of a run
    read the same sources, and decoding a 512 px PNG costs more than the query."""

    def __init__(self, engine: Engine, *, capacity: int = 128) -> None:
        self._engine = engine
        self._capacity = capacity
        self._images: OrderedDict[tuple[str, str], Image.Image] = OrderedDict()

    def get(self, sha256: str, *, mode: str = "RGB") -> Image.Image:
        """The image in `mode` ("RGB" for pictures, "L" for masks)."""
        key = (sha256, mode)
        image = self._images.get(key)
        if image is not None:
            self._images.move_to_end(key)
            return image

        def read() -> Image.Image:
            with session_scope(self._engine) as session:
                return get_image(session=session, sha256=sha256)

        image = retry_database(read, what=f"reading image {sha256[:12]}")
        if image.mode != mode:
            image = image.convert(mode)
        self._images[key] = image
        while len(self._images) > self._capacity:
            self._images.popitem(last=False)
        return image
