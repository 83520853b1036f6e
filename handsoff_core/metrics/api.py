"""Score edits: `score_edits` (batched) and `score_edit` (one), usable without any database.

For each item every requested metric yields one `MetricValue` (two for CLIP-T: against the
global and against the local gold caption). A metric that does not apply to the item (no
target, no mask, no caption) has value None and the reason. Problems with the item itself
(a mask of another size than its source, an empty image) raise an `ItemError` naming it;
`score_edits` returns that error in the item's place and carries on with the others.

Model-free metrics run their registry entry's `compute` (registry.py) item by item, so a
registered one is scored like the built-in ones.

Model-based metrics embed all images and texts of the batch `batch_size` at a time on the
models' device; the models load on first use. A model that cannot be loaded raises
`ModelUnavailable` for the whole call (it is no fault of any one item).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image

from handsoff_core.errors import ImageRejected, ItemError, MaskRejected
from handsoff_core.metrics import versions as v
from handsoff_core.metrics.caption_quality import sentence_embeddings
from handsoff_core.metrics.clip_scores import clip_image_embeddings, clip_text_embeddings
from handsoff_core.metrics.dino import dino_embeddings
from handsoff_core.metrics.embedding import cosine_similarity
from handsoff_core.metrics.model_free import generated_and_gold, need, text
from handsoff_core.metrics.models import LoadedModel, MetricModels
from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.records import EditToScore, MetricValue
from handsoff_core.metrics.registry import metric_spec, metric_specs
from handsoff_core.metrics.specs import MetricSpec

_CLIP_METRICS = frozenset({v.CLIP_I, v.CLIP_T})
# The EditToScore field holding each gold caption kind a text metric may be scored against.
_GOLD_CAPTION_FIELD: dict[v.CaptionKind, str] = {
    "global": "global_caption",
    "local": "local_caption",
}


@dataclass
class _Prepared:
    """An item that passed the checks, and the values computed for it so far."""

    item: EditToScore
    values: list[MetricValue] = field(default_factory=list)


def _check(item: EditToScore) -> _Prepared:
    for role in ("edit", "source", "target", "mask"):
        image = getattr(item, role)
        if image is not None and (image.width <= 0 or image.height <= 0):
            raise ImageRejected(f"{item.item_id}: {role} image has zero size {image.size}")
    if item.mask is not None and item.source is not None and item.mask.size != item.source.size:
        raise MaskRejected(
            f"{item.item_id}: mask is {item.mask.width}x{item.mask.height} but its source image "
            f"is {item.source.width}x{item.source.height}"
        )
    return _Prepared(item=item)


def _record(
    prepared: _Prepared,
    metric: str,
    version: str,
    kind: v.CaptionKind,
    compute: Callable[[], float],
) -> None:
    try:
        value = compute()
    except NotApplicable as reason:
        prepared.values.append(MetricValue(metric, version, kind, None, reason.reason))
        return
    prepared.values.append(MetricValue(metric, version, kind, value))


def _model_free(prepared: _Prepared, specs: Sequence[MetricSpec]) -> None:
    """Each model-free metric's `compute` on the item, in the registry's order."""
    for spec in specs:
        compute = spec.compute
        assert compute is not None  # MetricSpec requires it of a model-free metric
        (kind,) = spec.caption_kinds

        def score(compute: Callable[[EditToScore], float] = compute) -> float:
            return compute(prepared.item)

        _record(prepared, spec.name, v.metric_version(spec.name), kind, score)


def _version(model: LoadedModel, metric: str, models: MetricModels) -> str:
    return v.metric_version(metric, model_identity=model.identity, dtype=models.dtype)


def _image_pair_metric(
    batch: list[_Prepared],
    metric: str,
    version: str,
    edit_embeddings: torch.Tensor,
    embed: Callable[[Sequence[Image.Image]], torch.Tensor],
) -> None:
    """CLIP-I or DINO: cosine of the edit's (row i of edit_embeddings) and the target's."""
    targets = {id(p): p.item.target for p in batch if p.item.target is not None}
    target_embeddings = embed(list(targets.values()))
    row = {key: i for i, key in enumerate(targets)}
    for i, prepared in enumerate(batch):

        def score(i: int = i, prepared: _Prepared = prepared) -> float:
            need(id(prepared) in row, "no ground-truth target image")
            target = target_embeddings[row[id(prepared)]]
            what = f"{metric} of {prepared.item.item_id}"
            return cosine_similarity(edit_embeddings[i], target, what=what)

        _record(prepared, metric, version, "none", score)  # image pairs: no caption


def _clip_t(
    batch: list[_Prepared],
    version: str,
    edit_embeddings: torch.Tensor,
    clip: LoadedModel,
    batch_size: int,
) -> None:
    """CLIP-T against each gold caption kind: cosine of the edit's and the caption's embeddings."""
    kinds = metric_spec(v.CLIP_T).caption_kinds
    captions = [
        {kind: text(getattr(p.item, _GOLD_CAPTION_FIELD[kind])) for kind in kinds} for p in batch
    ]
    texts = sorted({c for per_item in captions for c in per_item.values() if c})
    text_embeddings = clip_text_embeddings(clip, texts, batch_size=batch_size)
    text_row = {caption: i for i, caption in enumerate(texts)}
    for i, prepared in enumerate(batch):
        for kind in kinds:

            def score(
                i: int = i, caption: str | None = captions[i][kind], kind: v.CaptionKind = kind
            ) -> float:
                need(caption is not None, f"no gold {kind} caption")
                what = f"clip-t of {batch[i].item.item_id}"
                return cosine_similarity(
                    edit_embeddings[i], text_embeddings[text_row[str(caption)]], what=what
                )

            _record(prepared, v.CLIP_T, version, kind, score)


def _clip_metrics(
    batch: list[_Prepared], metrics: Collection[str], models: MetricModels, batch_size: int
) -> None:
    clip = models.clip()

    def embed(images: Sequence[Image.Image]) -> torch.Tensor:
        return clip_image_embeddings(clip, images, batch_size=batch_size)

    edit_embeddings = embed([p.item.edit for p in batch])  # shared by CLIP-I and CLIP-T
    if v.CLIP_I in metrics:
        version = _version(clip, v.CLIP_I, models)
        _image_pair_metric(batch, v.CLIP_I, version, edit_embeddings, embed)
    if v.CLIP_T in metrics:
        _clip_t(batch, _version(clip, v.CLIP_T, models), edit_embeddings, clip, batch_size)


def _dino_metric(batch: list[_Prepared], models: MetricModels, batch_size: int) -> None:
    dino = models.dino()

    def embed(images: Sequence[Image.Image]) -> torch.Tensor:
        return dino_embeddings(dino, images, batch_size=batch_size)

    edit_embeddings = embed([p.item.edit for p in batch])
    _image_pair_metric(batch, v.DINO, _version(dino, v.DINO, models), edit_embeddings, embed)


def _caption_cosine(
    batch: list[_Prepared], model: LoadedModel, models: MetricModels, batch_size: int
) -> None:
    usable: dict[int, tuple[str, list[str]]] = {}
    for prepared in batch:
        with contextlib.suppress(NotApplicable):  # recorded as not applicable below
            usable[id(prepared)] = generated_and_gold(prepared.item)
    texts = sorted({t for gold, generated in usable.values() for t in (gold, *generated)})
    embeddings = sentence_embeddings(model, texts, batch_size=batch_size)
    row = {text: i for i, text in enumerate(texts)}
    version = _version(model, v.CAPTION_COSINE, models)
    (kind,) = metric_spec(v.CAPTION_COSINE).caption_kinds
    for prepared in batch:

        def score(prepared: _Prepared = prepared) -> float:
            gold, generated = generated_and_gold(prepared.item)
            what = f"caption-cosine of {prepared.item.item_id}"
            return float(
                np.mean(
                    [
                        cosine_similarity(embeddings[row[g]], embeddings[row[gold]], what=what)
                        for g in generated
                    ]
                )
            )

        _record(prepared, v.CAPTION_COSINE, version, kind, score)


def score_edits(
    items: Sequence[EditToScore],
    models: MetricModels | None = None,
    *,
    metrics: Collection[str] = v.ALL_METRICS,
    batch_size: int = 32,
) -> list[list[MetricValue] | ItemError]:
    """Score every item; each result is its metric values, or the ItemError that stopped it."""
    unknown = sorted(set(metrics) - set(v.ALL_METRICS))
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(v.ALL_METRICS)}")
    if models is None and not set(metrics) <= v.MODEL_FREE_METRICS:
        needing = sorted(set(metrics) - v.MODEL_FREE_METRICS)
        raise ValueError(f"metric(s) {needing} need MetricModels; pass models=")
    # 1. check items: a bad item becomes its error, the rest go on.
    results: list[_Prepared | ItemError] = []
    for item in items:
        try:
            results.append(_check(item))
        except ItemError as error:
            results.append(error)
    batch = [r for r in results if isinstance(r, _Prepared)]
    # 2. model-free metrics, item by item (CPU, numpy).
    model_free = [spec for spec in metric_specs() if spec.model_free and spec.name in metrics]
    for prepared in batch:
        _model_free(prepared, model_free)
    # 3. model-based metrics, batched on the models' device.
    if batch and models is not None:
        if _CLIP_METRICS & set(metrics):
            _clip_metrics(batch, metrics, models, batch_size)
        if v.DINO in metrics:
            _dino_metric(batch, models, batch_size)
        if v.CAPTION_COSINE in metrics:
            _caption_cosine(batch, models.sentence_embedder(), models, batch_size)
    # 4. report in the canonical metric order.
    order = {spec.name: i for i, spec in enumerate(metric_specs())}
    kinds = {kind: i for i, kind in enumerate(v.CAPTION_KINDS)}
    return [
        r
        if isinstance(r, ItemError)
        else sorted(r.values, key=lambda m: (order[m.metric], kinds[m.caption_kind]))
        for r in results
    ]


def score_edit(
    item: EditToScore,
    models: MetricModels | None = None,
    *,
    metrics: Collection[str] = v.ALL_METRICS,
) -> list[MetricValue]:
    """Score one item; raises its ItemError (e.g. MaskRejected) instead of returning it."""
    (result,) = score_edits([item], models, metrics=metrics, batch_size=1)
    if isinstance(result, ItemError):
        raise result
    return result
