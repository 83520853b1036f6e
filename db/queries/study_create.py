"""Creating a study: items where both methods have an edit, gold items, overlapping assignment.

An evaluation run names a dataset, method configurations, a seed and a setting. The study's
items are the run's samples on which *both* chosen configurations have a successful edit
with that seed and setting (edits are shared between runs that ask for the same thing, so
they are matched on those keys, not on the run that happened to make them).

Every random choice comes from `db.queries.study_blinding`: a per-study secret by default,
the seed when one is given.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    Edit,
    MethodConfig,
    Run,
    RunMethodConfig,
    Sample,
    Study,
    StudyItem,
    StudyOption,
)
from db.models.enums import Setting
from db.models.methods import MIN_HASH_PREFIX, named_by
from db.queries.study import GOLD_SOURCE, GOLD_TARGET, StudyError
from db.queries.study_annotators import (
    NewAnnotator,
    assign_items,
    check_annotator_name,
    create_annotator,
)
from db.queries.study_blinding import annotator_rng, new_blinding_secret, selection_rng
from db.queries.study_display import Progress, store_display_images
from db.queries.study_guidelines import check_guidelines

EDIT_DONE = "done"
# `study.seed` is an INTEGER column (32-bit on PostgreSQL).
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class CreatedStudy:
    study_id: int
    name: str
    run_id: int
    methods: tuple[str, str]  # "method@hash-prefix", in the study's canonical order
    items: int  # regular items
    gold_items: int
    overlap: int
    # The explicit seed (the study is predictable to whoever knows it), or None: the
    # blinding comes from the study's secret.
    seed: int | None
    annotators: tuple[NewAnnotator, ...]


def resolve_methods(*, session: Session, run: Run, specs: Sequence[str]) -> list[MethodConfig]:
    """The run's method configs named by `specs`: a method name (when the run has one config
    of it), a config-hash prefix, or `method@hash-prefix`."""
    configs = session.scalars(
        select(MethodConfig)
        .join(RunMethodConfig, RunMethodConfig.method_config_id == MethodConfig.id)
        .where(RunMethodConfig.run_id == run.id)
        .order_by(MethodConfig.id)
    ).all()
    available = ", ".join(config.label for config in configs) or "none"
    chosen: list[MethodConfig] = []
    for spec in specs:
        method, _, prefix = spec.strip().partition("@")
        if (
            not prefix
            and len(method) >= MIN_HASH_PREFIX
            and not any(config.method == method for config in configs)
        ):
            method, prefix = "", method
        if prefix and len(prefix) < MIN_HASH_PREFIX:
            raise StudyError(f"config hash prefix {prefix!r} is shorter than {MIN_HASH_PREFIX}")
        matches = [
            config
            for config in configs
            if named_by(config.method, config.config_hash, name=method, prefix=prefix)
        ]
        if not matches:
            raise StudyError(f"run {run.id} has no method config {spec!r}; it has: {available}")
        if len(matches) > 1:
            names = ", ".join(config.label for config in matches)
            raise StudyError(f"{spec!r} is ambiguous in run {run.id} ({names}): use method@hash")
        chosen.append(matches[0])
    if len(chosen) != 2:
        raise StudyError(f"a study compares exactly two methods, got {len(chosen)}")
    if chosen[0].id == chosen[1].id:
        raise StudyError(f"both methods name the same config {chosen[0].label}")
    return chosen


def paired_edits(
    *, session: Session, run: Run, configs: Sequence[MethodConfig]
) -> dict[int, tuple[Edit, Edit]]:
    """sample id -> (edit of configs[0], edit of configs[1]) where both succeeded."""
    query = (
        select(Edit)
        .join(Sample, Sample.id == Edit.sample_id)
        .where(
            Sample.dataset_id == run.dataset_id,
            Edit.method_config_id.in_([config.id for config in configs]),
            Edit.seed == run.seed,
            Edit.setting == run.setting,
            Edit.status == EDIT_DONE,
            Edit.output_image.is_not(None),
        )
    )
    sample_ids = (run.selection or {}).get("sample_ids")
    if sample_ids:
        query = query.where(Edit.sample_id.in_(sample_ids))
    by_sample: dict[int, dict[int, Edit]] = {}
    for edit in session.scalars(query):
        by_sample.setdefault(edit.sample_id, {})[edit.method_config_id] = edit
    first, second = configs[0].id, configs[1].id
    return {
        sample_id: (edits[first], edits[second])
        for sample_id, edits in sorted(by_sample.items())
        if first in edits and second in edits
    }


def create_study(
    *,
    session: Session,
    run_id: int,
    methods: Sequence[str],
    name: str | None = None,
    items: int | None = None,
    overlap: int = 1,
    annotators: Sequence[str] = (),
    gold: int = 0,
    seed: int | None = None,
    guidelines: str | None = None,
    progress: Progress | None = None,
) -> CreatedStudy:
    """Create a study comparing two of a run's method configs.

    Every regular item goes to `overlap` annotators (balanced round robin over a random
    shuffle); every gold item goes to every annotator, since gold accuracy is per annotator.
    Each annotator gets their own random order and random sides per item. Without `seed`
    the randomness comes from a new secret kept only in the database (`study.seed` is then
    0 and means nothing); with it, from the seed, and the study is predictable to whoever
    knows it. Every image the study shows is encoded for display here, once (the long
    step of a large study: `progress` is told after each item).
    """
    # 1. check inputs
    run = session.get(Run, run_id)
    if run is None:
        raise StudyError(f"no run with id {run_id}")
    if run.setting != Setting.SINGLE_TURN:
        raise StudyError(
            f"run {run_id} is {run.setting}: its edits start from each method's own previous "
            "output, so no single source image can be shown with both; use a single-turn run"
        )
    names = [check_annotator_name(annotator) for annotator in annotators]
    if len(set(names)) != len(names):
        raise StudyError(f"annotator names repeat: {', '.join(names)}")
    if overlap < 1:
        raise StudyError(f"--overlap must be at least 1, got {overlap}")
    if names and overlap > len(names):
        raise StudyError(f"overlap {overlap} needs at least {overlap} annotators, got {len(names)}")
    if gold < 0 or (items is not None and items < 1):
        raise StudyError("--items must be at least 1 and --gold at least 0")
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise StudyError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")
    if guidelines is not None:
        check_guidelines(guidelines)
    configs = resolve_methods(session=session, run=run, specs=methods)
    secret = new_blinding_secret() if seed is None else None
    rng = selection_rng(secret=secret, seed=seed or 0)

    # 2. choose the regular items
    pairs = paired_edits(session=session, run=run, configs=configs)
    if not pairs:
        raise StudyError(
            f"run {run_id} has no sample on which both {configs[0].label} and "
            f"{configs[1].label} have a successful edit: nothing to study"
        )
    sample_ids = list(pairs)
    if items is not None:
        if items > len(sample_ids):
            raise StudyError(
                f"asked for {items} items but only {len(sample_ids)} samples of run {run_id} "
                "have edits of both methods"
            )
        sample_ids = sorted(rng.sample(sample_ids, items))

    # 3. choose the gold samples (those not shown as regular items first, so an annotator
    #    does not meet the same image twice and learn which copy is the check)
    gold_samples = _choose_gold_samples(
        session=session, run=run, count=gold, avoid=set(sample_ids), rng=rng
    )

    # 4. write the study, its items and options
    study = Study(
        name=name or _free_name(session, run_id, configs),
        run_id=run_id,
        method_config_ids=[config.id for config in configs],
        overlap=overlap,
        seed=seed or 0,
        blinding_secret=secret,
        guidelines=guidelines,
    )
    session.add(study)
    session.flush()
    regular_ids = _add_regular_items(session, study.id, [pairs[s] for s in sample_ids], sample_ids)
    gold_ids = _add_gold_items(session, study.id, gold_samples, rng)

    # 5. encode every image shown, once, as the page sends it
    store_display_images(session=session, study_id=study.id, progress=progress)

    # 6. assign: regular items round robin with overlap, gold to everyone
    new_annotators = _assign_annotators(
        session=session,
        study=study,
        names=names,
        regular_ids=regular_ids,
        gold_ids=gold_ids,
        rng=rng,
    )
    return CreatedStudy(
        study_id=study.id,
        name=study.name,
        run_id=run_id,
        methods=(configs[0].label, configs[1].label),
        items=len(regular_ids),
        gold_items=len(gold_ids),
        overlap=overlap,
        seed=seed,
        annotators=tuple(new_annotators),
    )


def _free_name(session: Session, run_id: int, configs: Sequence[MethodConfig]) -> str:
    base = f"run{run_id}-{configs[0].method}-vs-{configs[1].method}"
    taken = set(session.scalars(select(Study.name).where(Study.name.startswith(base))))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _choose_gold_samples(
    *, session: Session, run: Run, count: int, avoid: set[int], rng: random.Random
) -> list[Sample]:
    if count == 0:
        return []
    candidates = session.scalars(
        select(Sample)
        .where(Sample.dataset_id == run.dataset_id, Sample.target_image.is_not(None))
        .order_by(Sample.id)
    ).all()
    if len(candidates) < count:
        raise StudyError(
            f"asked for {count} gold items but the dataset of run {run.id} has only "
            f"{len(candidates)} samples with a ground-truth target"
        )
    fresh = [sample for sample in candidates if sample.id not in avoid]
    reused = [sample for sample in candidates if sample.id in avoid]
    rng.shuffle(fresh)
    rng.shuffle(reused)
    return sorted((fresh + reused)[:count], key=lambda sample: sample.id)


def _add_regular_items(
    session: Session, study_id: int, edit_pairs: Sequence[tuple[Edit, Edit]], sample_ids: list[int]
) -> list[int]:
    items = [
        StudyItem(study_id=study_id, sample_id=sample_id, is_gold=False) for sample_id in sample_ids
    ]
    session.add_all(items)
    session.flush()
    for item, pair in zip(items, edit_pairs, strict=True):
        for position, edit in enumerate(pair):
            assert edit.output_image is not None
            session.add(
                StudyOption(
                    item_id=item.id,
                    position=position,
                    image_sha256=edit.output_image,
                    edit_id=edit.id,
                    method_config_id=edit.method_config_id,
                )
            )
    session.flush()
    return [item.id for item in items]


def _add_gold_items(
    session: Session, study_id: int, samples: Sequence[Sample], rng: random.Random
) -> list[int]:
    items = [StudyItem(study_id=study_id, sample_id=sample.id, is_gold=True) for sample in samples]
    session.add_all(items)
    session.flush()
    for item, sample in zip(items, samples, strict=True):
        assert sample.target_image is not None
        golds = [
            (GOLD_SOURCE, sample.source_image, False),
            (GOLD_TARGET, sample.target_image, True),
        ]
        rng.shuffle(golds)
        for position, (role, image, expected) in enumerate(golds):
            session.add(
                StudyOption(
                    item_id=item.id,
                    position=position,
                    image_sha256=image,
                    gold_role=role,
                    expected_acceptable=expected,
                )
            )
    session.flush()
    return [item.id for item in items]


def _assign_annotators(
    *,
    session: Session,
    study: Study,
    names: Sequence[str],
    regular_ids: Sequence[int],
    gold_ids: Sequence[int],
    rng: random.Random,
) -> list[NewAnnotator]:
    if not names:
        return []
    shuffled = list(regular_ids)
    rng.shuffle(shuffled)
    per_annotator: list[list[int]] = [[] for _ in names]
    # Item i goes to annotators iK .. iK+K-1 (mod n): K distinct annotators per item
    # (K <= n) and loads that differ by at most one.
    for index, item_id in enumerate(shuffled):
        for offset in range(study.overlap):
            per_annotator[(index * study.overlap + offset) % len(names)].append(item_id)
    created = []
    for name, item_ids in zip(names, per_annotator, strict=True):
        annotator, token = create_annotator(session=session, study_id=study.id, name=name)
        assigned = assign_items(
            session=session,
            annotator_id=annotator.id,
            item_ids=[*item_ids, *gold_ids],
            rng=annotator_rng(study=study, annotator=annotator),
        )
        created.append(NewAnnotator(name=annotator.name, token=token, assigned=assigned))
    return created
