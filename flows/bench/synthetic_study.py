"""A seeded synthetic blind study over a synthetic evaluation (`flows.bench.synthetic_run`).

Judgment model: item difficulty z ~ N(0, 1) shared by both methods, annotator leniency
b ~ N(0, 0.3); P(acceptable) = sigmoid(logit(p_method) + z + b) with p = 0.33 for Hands-off
and 0.24 for InstructPix2Pix (the paper's rates). Gold options are judged correctly with
the annotator's own accuracy (0.75-0.98). Preference: the only acceptable edit if there is
one (else a tie now and then), either side or a tie when both are, "both_bad" when neither.
Some annotators stop halfway: their remaining assignments have no answers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine

from db.base import utcnow
from db.bulk import bulk_insert
from db.engine import session_scope
from db.models import Annotator, Assignment, Judgment, Study, StudyItem, StudyOption
from flows.bench.synthetic_run import SyntheticEvaluation, insert_with_ids


@dataclass(frozen=True)
class SyntheticStudySpec:
    first: str = "handsoff w=1"  # config labels of SyntheticEvaluation.config_ids
    second: str = "instruct-pix2pix"
    items: int | None = None  # regular items; None: every sample both methods edited
    gold_items: int = 4
    annotators: int = 6
    overlap: int = 3
    unfinished_annotators: int = 1
    acceptable_rates: tuple[float, float] = (0.33, 0.24)
    seed: int = 0


@dataclass
class SyntheticStudy:
    study_id: int
    item_ids: list[int] = field(default_factory=list)
    annotator_ids: list[int] = field(default_factory=list)


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def populate_synthetic_study(
    engine: Engine,
    evaluation: SyntheticEvaluation,
    spec: SyntheticStudySpec = SyntheticStudySpec(),
    *,
    name: str | None = None,
) -> SyntheticStudy:
    """Write a study with items, options, annotators, assignments, judgments, preferences."""
    rng = np.random.default_rng(spec.seed + 1)
    now = utcnow()
    first_id = evaluation.config_ids[spec.first]
    second_id = evaluation.config_ids[spec.second]
    both = [
        sample
        for sample in evaluation.sample_ids
        if (spec.first, sample) in evaluation.done_edits
        and (spec.second, sample) in evaluation.done_edits
    ]
    regular = both if spec.items is None else both[: spec.items]
    gold = evaluation.sample_ids[: spec.gold_items]
    with session_scope(engine) as session:
        study = Study(
            name=name or f"synthetic-study-{evaluation.run_id}-{spec.seed}",
            run_id=evaluation.run_id,
            method_config_ids=[first_id, second_id],
            overlap=spec.overlap,
            seed=spec.seed,
        )
        session.add(study)
        session.flush()
        item_rows = [{"study_id": study.id, "sample_id": s, "is_gold": False} for s in regular]
        item_rows += [{"study_id": study.id, "sample_id": s, "is_gold": True} for s in gold]
        item_ids = insert_with_ids(session, StudyItem, item_rows)
        option_rows: list[dict[str, Any]] = []
        # per item: (option kind, acceptable probability logit or expected answer) x 2
        option_kinds: list[tuple[str, str]] = []
        for item_id, item_row in zip(item_ids, item_rows, strict=True):
            sample = item_row["sample_id"]
            if item_row["is_gold"]:
                kinds = [("gold_source", "gold"), ("gold_target", "gold")]
                option_rows += [
                    _option(item_id, 0, evaluation.image_sha256, gold_role="gold_source"),
                    _option(item_id, 1, evaluation.image_sha256, gold_role="gold_target"),
                ]
            else:
                sides = [(spec.first, first_id), (spec.second, second_id)]
                if rng.random() < 0.5:
                    sides.reverse()
                kinds = [(label, "method") for label, _ in sides]
                option_rows += [
                    _option(
                        item_id,
                        position,
                        evaluation.image_sha256,
                        edit_id=evaluation.done_edits[(label, sample)],
                        method_config_id=config_id,
                    )
                    for position, (label, config_id) in enumerate(sides)
                ]
            option_kinds += kinds
        option_ids = insert_with_ids(session, StudyOption, option_rows)
        annotator_rows = [
            {
                "study_id": study.id,
                "name": f"annotator{k:03d}",
                "token_hash": hashlib.sha256(f"synthetic-{study.id}-{k}".encode()).hexdigest(),
                "created_at": now,
            }
            for k in range(spec.annotators)
        ]
        annotator_ids = insert_with_ids(session, Annotator, annotator_rows)

        # Each item goes to `overlap` consecutive annotators (balanced loads).
        queues: list[list[int]] = [[] for _ in annotator_ids]
        for index in range(len(item_ids)):
            for k in range(min(spec.overlap, len(annotator_ids))):
                queues[(index + k) % len(annotator_ids)].append(index)
        difficulty = rng.normal(0.0, 1.0, size=len(item_ids))
        leniency = rng.normal(0.0, 0.3, size=len(annotator_ids))
        accuracy = rng.uniform(0.75, 0.98, size=len(annotator_ids))
        logits = {
            spec.first: _logit(spec.acceptable_rates[0]),
            spec.second: _logit(spec.acceptable_rates[1]),
        }
        assignment_rows: list[dict[str, Any]] = []
        judgment_rows: list[dict[str, Any]] = []
        for k, annotator_id in enumerate(annotator_ids):
            order = rng.permutation(queues[k])
            stop = len(order) // 2 if k >= len(annotator_ids) - spec.unfinished_annotators else None
            for position, index in enumerate(order):
                item_id = item_ids[index]
                done = stop is None or position < stop
                row: dict[str, Any] = {
                    "annotator_id": annotator_id,
                    "item_id": item_id,
                    "position": position,
                    "swap_sides": bool(rng.random() < 0.5),
                    "shown_at": now if done else None,
                    "completed_at": now + timedelta(seconds=position) if done else None,
                    "seconds_spent": float(rng.lognormal(np.log(8.0), 0.5)) if done else None,
                    "preferred_option_id": None,
                    "preference_kind": None,
                }
                if done:
                    answers = []
                    for slot in (0, 1):
                        label, kind = option_kinds[2 * index + slot]
                        if kind == "gold":
                            correct = rng.random() < accuracy[k]
                            expected = label == "gold_target"
                            answer = expected if correct else not expected
                        else:
                            logit = logits[label] + difficulty[index] + leniency[k]
                            answer = bool(rng.random() < 1 / (1 + np.exp(-logit)))
                        answers.append(answer)
                        judgment_rows.append(
                            {
                                "annotator_id": annotator_id,
                                "item_id": item_id,
                                "option_id": option_ids[2 * index + slot],
                                "acceptable": answer,
                                "created_at": now,
                                "updated_at": now,
                            }
                        )
                    _prefer(row, answers, option_ids[2 * index : 2 * index + 2], rng)
                assignment_rows.append(row)
        bulk_insert(session.connection(), Assignment, assignment_rows)
        bulk_insert(session.connection(), Judgment, judgment_rows)
        return SyntheticStudy(study_id=study.id, item_ids=item_ids, annotator_ids=annotator_ids)


def _option(
    item_id: int,
    position: int,
    image: str,
    *,
    edit_id: int | None = None,
    method_config_id: int | None = None,
    gold_role: str | None = None,
) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "position": position,
        "image_sha256": image,
        "edit_id": edit_id,
        "method_config_id": method_config_id,
        "gold_role": gold_role,
        "expected_acceptable": None if gold_role is None else gold_role == "gold_target",
    }


def _prefer(
    row: dict[str, Any], answers: list[bool], options: list[int], rng: np.random.Generator
) -> None:
    if answers[0] != answers[1]:
        if rng.random() < 0.1:
            row["preference_kind"] = "tie"
        else:
            row["preference_kind"] = "option"
            row["preferred_option_id"] = options[0] if answers[0] else options[1]
    elif answers[0]:
        draw = rng.random()
        if draw < 0.2:
            row["preference_kind"] = "tie"
        else:
            row["preference_kind"] = "option"
            row["preferred_option_id"] = options[0] if draw < 0.6 else options[1]
    else:
        row["preference_kind"] = "both_bad"
