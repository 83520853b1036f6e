"""A seeded synthetic evaluation written as database rows: for report tests and
`handsoff bench report`.

It is no model output and says so: its dataset is named `synthetic-report-*`, its run's
profile is `synthetic-rows`, and every value comes from a stated random model (below), so a
report over it exercises every query and statistic without pretending to measure anything.

Evaluation model: Hands-off at each swept edit weight, InstructPix2Pix and the two oracles
(identity = unedited source, ground-truth = target) on every sample; metric means per method
(larger weights edit more: lower preservation, higher CLIP-T), Gaussian noise per edit.
Failures, samples without a mask or a local caption (metrics not applicable), and metrics
missing for some done edits (as if scoring had not finished) occur at the stated rates.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image as PILImage
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.base import utcnow
from db.bulk import bulk_insert, reserve_ids
from db.engine import session_scope
from db.models import (
    Dataset,
    Edit,
    Image,
    MethodConfig,
    MetricValue,
    Run,
    RunMethodConfig,
    Sample,
    Setting,
)

PROFILE = "synthetic-rows"
# (metric, caption_kind) in the order the metrics helper defines them.
METRICS: tuple[tuple[str, str], ...] = (
    ("l1", "none"),
    ("l2", "none"),
    ("clip-i", "none"),
    ("dino", "none"),
    ("clip-t", "global"),
    ("clip-t", "local"),
    ("preservation-l1", "none"),
    ("preservation-psnr", "none"),
    ("preservation-ssim", "none"),
    ("caption-bleu", "none"),
    ("caption-cosine", "none"),
)
_NOISE = {"preservation-psnr": 2.0}  # dB; every other metric: 0.02
# Values an oracle has by definition (ground truth vs itself; the source outside the mask).
_EXACT = {
    ("ground-truth", "l1"),
    ("ground-truth", "l2"),
    ("ground-truth", "clip-i"),
    ("ground-truth", "dino"),
    ("identity", "preservation-l1"),
    ("identity", "preservation-psnr"),
    ("identity", "preservation-ssim"),
}
# Where each metric's values can lie (distances >= 0, cosines and SSIM <= 1, PSNR capped).
_RANGE = {"preservation-psnr": (0.0, 100.0), "l1": (0.0, 1.0), "l2": (0.0, 1.0)}
_RANGE |= {"preservation-l1": (0.0, 1.0)}


@dataclass(frozen=True)
class SyntheticSpec:
    samples: int = 40
    turns_per_session: int = 2
    weights: tuple[float, ...] = (0.75, 1.0, 1.25)
    failure_rate: float = 0.05  # of model edits (oracles never fail)
    missing_metric_rate: float = 0.02  # of (done edit, metric) values not yet scored
    mask_every: int = 5  # every 5th sample has no mask: preservation not applicable
    local_caption_every: int = 7  # every 7th sample has no local caption
    seed: int = 0


@dataclass
class SyntheticEvaluation:
    dataset_id: int
    run_id: int
    image_sha256: str
    config_ids: dict[str, int] = field(default_factory=dict)  # label -> method_config.id
    sample_ids: list[int] = field(default_factory=list)
    done_edits: dict[tuple[str, int], int] = field(default_factory=dict)  # (label, sample) -> id


def _config_hash(method: str, params: dict[str, Any]) -> str:
    canonical = json.dumps({"method": method, "params": params}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _configs(spec: SyntheticSpec) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, method, params) of every config in the run."""
    configs = [
        (f"handsoff w={w:g}", "handsoff", {"weight": float(w), "steps": 100, "synthetic": True})
        for w in spec.weights
    ]
    configs.append(("instruct-pix2pix", "instruct-pix2pix", {"steps": 100, "synthetic": True}))
    configs.append(("identity", "identity", {"synthetic": True}))
    configs.append(("ground-truth", "ground-truth", {"synthetic": True}))
    return configs


def _metric_mean(method: str, weight: float | None, metric: str) -> float | None:
    """Mean of a metric for a method (None: not applicable to that method)."""
    if metric.startswith("caption-") and method != "handsoff":
        return None  # only Hands-off writes an after-edit caption
    if method == "ground-truth":
        means = {"l1": 0.0, "l2": 0.0, "clip-i": 1.0, "dino": 1.0, "clip-t": 0.31}
        means |= {"preservation-l1": 0.03, "preservation-psnr": 31.0, "preservation-ssim": 0.93}
        return means[metric]
    if method == "identity":
        means = {"l1": 0.07, "l2": 0.02, "clip-i": 0.91, "dino": 0.86, "clip-t": 0.26}
        means |= {"preservation-l1": 0.0, "preservation-psnr": 100.0, "preservation-ssim": 1.0}
        return means[metric]
    if method == "instruct-pix2pix":
        means = {"l1": 0.11, "l2": 0.035, "clip-i": 0.85, "dino": 0.74, "clip-t": 0.2764}
        means |= {"preservation-l1": 0.06, "preservation-psnr": 24.0, "preservation-ssim": 0.80}
        return means[metric]
    w = 1.0 if weight is None else weight
    means = {
        "l1": 0.09 + 0.04 * (w - 1),
        "l2": 0.03 + 0.015 * (w - 1),
        "clip-i": 0.87 - 0.05 * (w - 1),
        "dino": 0.77 - 0.08 * (w - 1),
        "clip-t": 0.2904 + 0.02 * (w - 1),
        "preservation-l1": 0.04 + 0.03 * (w - 1),
        "preservation-psnr": 27.0 - 4.0 * (w - 1),
        "preservation-ssim": 0.86 - 0.06 * (w - 1),
        "caption-bleu": 0.31,
        "caption-cosine": 0.78,
    }
    return means[metric]


def _tiny_png() -> tuple[bytes, int, int]:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 4), (120, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue(), 4, 4


def insert_with_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert `rows` with freshly reserved ids (in order) and return the ids."""
    connection = session.connection()
    ids = reserve_ids(connection, model, len(rows))
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    bulk_insert(connection, model, rows)
    return ids


def populate_synthetic_evaluation(
    engine: Engine, spec: SyntheticSpec = SyntheticSpec(), *, name: str | None = None
) -> SyntheticEvaluation:
    """Write a dataset, a run and its edits and metric values; return their ids."""
    rng = np.random.default_rng(spec.seed)
    now = utcnow()
    png, width, height = _tiny_png()
    digest = hashlib.sha256(png).hexdigest()
    with session_scope(engine) as session:
        if session.get(Image, digest) is None:
            session.add(Image(sha256=digest, data=png, width=width, height=height, mode="RGB"))
        dataset = Dataset(
            name=name or f"synthetic-report-{spec.seed}-{rng.integers(1 << 30)}",
            source_format="synthetic-rows",
            source_path=None,
        )
        session.add(dataset)
        session.flush()
        sample_rows: list[dict[str, Any]] = [
            {
                "dataset_id": dataset.id,
                "external_id": f"s{i:06d}",
                "session_id": f"session{i // spec.turns_per_session:06d}",
                "turn_index": i % spec.turns_per_session + 1,
                "instruction": f"synthetic instruction {i}",
                "source_image": digest,
                "target_image": digest,
                "mask_image": None if i % spec.mask_every == spec.mask_every - 1 else digest,
                "input_caption_global": "a synthetic input",
                "output_caption_global": "a synthetic output",
                "output_caption_local": (
                    None if i % spec.local_caption_every == spec.local_caption_every - 1 else "x"
                ),
                "import_notes": [],
                "created_at": now,
            }
            for i in range(spec.samples)
        ]
        sample_ids = insert_with_ids(session, Sample, sample_rows)
        run = Run(
            dataset_id=dataset.id,
            status="completed",
            profile=PROFILE,
            seed=spec.seed,
            setting=Setting.SINGLE_TURN.value,
            selection={},
            provenance={"synthetic": "flows.bench.synthetic_run", "seed": spec.seed},
            counts={},
        )
        session.add(run)
        session.flush()
        evaluation = SyntheticEvaluation(
            dataset_id=dataset.id, run_id=run.id, image_sha256=digest, sample_ids=sample_ids
        )
        for label, method, params in _configs(spec):
            config = MethodConfig(
                method=method, params=params, config_hash=_config_hash(method, params)
            )
            session.add(config)
            session.flush()
            session.add(RunMethodConfig(run_id=run.id, method_config_id=config.id))
            evaluation.config_ids[label] = config.id
        session.flush()
        _write_edits(session, spec, evaluation, rng, now)
    return evaluation


def _write_edits(
    session: Session,
    spec: SyntheticSpec,
    evaluation: SyntheticEvaluation,
    rng: np.random.Generator,
    now: Any,
) -> None:
    configs = _configs(spec)
    edit_rows: list[dict[str, Any]] = []
    keys: list[tuple[str, int, bool]] = []
    for label, method, _params in configs:
        for position, sample_id in enumerate(evaluation.sample_ids):
            oracle = method in ("identity", "ground-truth")
            failed = (not oracle) and rng.random() < spec.failure_rate
            edit_rows.append(
                {
                    "run_id": evaluation.run_id,
                    "sample_id": sample_id,
                    "method_config_id": evaluation.config_ids[label],
                    "seed": spec.seed,
                    "setting": Setting.SINGLE_TURN.value,
                    "status": "failed" if failed else "done",
                    "output_image": None if failed else evaluation.image_sha256,
                    "before_captions": [],
                    "after_captions": [],
                    "error": f"synthetic failure on sample {position}" if failed else None,
                    "timings": {"edit": float(rng.gamma(4.0, 0.5))},
                    "notes": ["synthetic rows, not a model output"],
                    "attempts": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            keys.append((label, position, failed))
    edit_ids = insert_with_ids(session, Edit, edit_rows)
    weights = {label: params.get("weight") for label, _m, params in configs}
    methods = {label: method for label, method, _p in configs}
    metric_rows: list[dict[str, Any]] = []
    for edit_id, (label, position, failed) in zip(edit_ids, keys, strict=True):
        if failed:
            continue
        evaluation.done_edits[(label, evaluation.sample_ids[position])] = edit_id
        for metric, caption_kind in METRICS:
            if rng.random() < spec.missing_metric_rate:
                continue  # not scored yet
            row = {
                "edit_id": edit_id,
                "metric": metric,
                "metric_version": f"{metric}/1+synthetic",
                "caption_kind": caption_kind,
                "value": None,
                "not_applicable": None,
                "created_at": now,
            }
            mean = _metric_mean(methods[label], weights[label], metric)
            no_mask = position % spec.mask_every == spec.mask_every - 1
            no_local = position % spec.local_caption_every == spec.local_caption_every - 1
            if mean is None:
                row["not_applicable"] = "method writes no after-edit caption"
            elif metric.startswith("preservation-") and no_mask:
                row["not_applicable"] = "sample has no edit mask"
            elif caption_kind == "local" and no_local:
                row["not_applicable"] = "sample has no local description"
            elif (methods[label], metric) in _EXACT:
                row["value"] = mean
            else:
                low, high = _RANGE.get(metric, (-1.0, 1.0))
                noise = rng.normal(0.0, _NOISE.get(metric, 0.02))
                row["value"] = float(np.clip(mean + noise, low, high))
            metric_rows.append(row)
    bulk_insert(session.connection(), MetricValue, metric_rows)
