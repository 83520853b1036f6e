"""A small evaluated run built directly as database rows, for study tests.

Images are tiny PIL arrays whose colour encodes (sample, role), so every image is distinct
and a test can tell which one a page showed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image
from sqlalchemy import Engine, select

from db.engine import session_scope
from db.image_store import put_image
from db.models import Dataset, Edit, MethodConfig, Run, RunMethodConfig, Sample

METHODS = ("handsoff", "instruct-pix2pix")


@dataclass
class World:
    run_id: int
    dataset_id: int
    config_ids: dict[str, int]  # method -> config id
    config_hashes: dict[str, str]
    sample_ids: list[int]
    edit_ids: dict[tuple[int, str], int] = field(default_factory=dict)  # (sample, method)
    images: dict[tuple[int, str], str] = field(default_factory=dict)  # (sample, role) -> sha

    @property
    def forbidden_markers(self) -> list[str]:
        """Strings an annotator's browser must never receive anywhere, markup included."""
        hashes = list(self.config_hashes.values())
        return [
            *METHODS,
            "InstructPix2Pix",
            "pix2pix",
            "hands-off",
            "gold",
            "ground-truth",
            "ground_truth",
            *hashes,
            *(h[:8] for h in hashes),
            *self.images.values(),
            *(sha[:12] for sha in self.images.values()),
        ]

    @property
    def forbidden_strings(self) -> list[str]:
        """Also words that must not appear in anything the app itself writes (page text,
        element messages, session state)."""
        return [*self.forbidden_markers, "ground truth", "target", "expected", "edit_id"]


def tiny_image(index: int, role: int, size: tuple[int, int] = (16, 16)) -> Image.Image:
    image = Image.new("RGB", size, (index * 37 % 256, role * 60 % 256, 90))
    image.putpixel((index % size[0], role % size[1]), (255, 255, 255))
    return image


def build_world(
    engine: Engine,
    *,
    samples: int = 6,
    failed: Sequence[tuple[int, str]] = (),
    setting: str = "single-turn",
    extra_configs: Sequence[str] = (),
    edit_size: tuple[int, int] = (16, 16),
    dataset_name: str = "tiny-bench",
) -> World:
    """A dataset of `samples` samples, a run of both METHODS with done edits on each sample,
    except the (sample index, method) pairs in `failed`, which failed."""
    with session_scope(engine) as session:
        dataset = Dataset(name=dataset_name, source_format="jsonl")
        session.add(dataset)
        session.flush()
        run = Run(dataset_id=dataset.id, profile="tiny", seed=7, setting=setting)
        session.add(run)
        session.flush()
        world = World(run.id, dataset.id, {}, {}, [])
        for method in (*METHODS, *extra_configs):
            name = method.split("#")[0]
            config_hash = hashlib.sha256(method.encode()).hexdigest()
            config = session.scalar(
                select(MethodConfig).where(MethodConfig.config_hash == config_hash)
            ) or MethodConfig(method=name, params={"variant": method}, config_hash=config_hash)
            session.add(config)
            session.flush()
            session.add(RunMethodConfig(run_id=run.id, method_config_id=config.id))
            world.config_ids[method] = config.id
            world.config_hashes[method] = config_hash
        for index in range(samples):
            source = put_image(session=session, image=tiny_image(index, 1))
            target = put_image(session=session, image=tiny_image(index, 2))
            sample = Sample(
                dataset_id=dataset.id,
                external_id=f"s{index}",
                session_id=f"session{index}",
                turn_index=1,
                instruction=f"make object {index} red",
                source_image=source,
                target_image=target,
            )
            session.add(sample)
            session.flush()
            world.sample_ids.append(sample.id)
            world.images[(sample.id, "source")] = source
            world.images[(sample.id, "target")] = target
            for role, method in enumerate(METHODS, start=3):
                ok = (index, method) not in failed
                output = put_image(session=session, image=tiny_image(index, role, edit_size))
                edit = Edit(
                    run_id=run.id,
                    sample_id=sample.id,
                    method_config_id=world.config_ids[method],
                    seed=run.seed,
                    setting=setting,
                    status="done" if ok else "failed",
                    output_image=output if ok else None,
                    error=None if ok else "out of memory",
                )
                session.add(edit)
                session.flush()
                world.edit_ids[(sample.id, method)] = edit.id
                if ok:
                    world.images[(sample.id, method)] = output
    return world
