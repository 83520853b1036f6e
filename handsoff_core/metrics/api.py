"""Score edits: `score_edits` (batched) and `score_edit` (one), usable without any database.

For each item every requested metric yields one `MetricValue` (two for CLIP-T: against the
global and against the local gold caption). A metric that does not apply to the item (no
target, no mask, no caption) has value None and the reason. Problems with the item itself
(a mask of another size than its source, an empty image) raise an `ItemError` naming it;
`score_edits` returns that error in the item's place and carries on with the others.

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
from handsoff_core.metrics.caption_quality import caption_bleu, sentence_embeddings
from handsoff_core.metrics.clip_scores import clip_image_embeddings, clip_text_embeddings
from handsoff_core.metrics.dino import dino_embeddings
from handsoff_core.metrics.embedding import cosine_similarity
from handsoff_core.metrics.models import LoadedModel, MetricModels
from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.pixel import l1_distance, l2_distance
from handsoff_core.metrics.preservation import (
    preservation_l1,
    preservation_psnr,
    preservation_ssim,
    preserved_region,
)
from handsoff_core.metrics.records import EditToScore, MetricValue

_CLIP_METRICS = frozenset({v.CLIP_I, v.CLIP_T})
_GOLD_CAPTIONS: tuple[tuple[v.CaptionKind, str], ...] = (
    ("global", "global_caption"),
    ("local", "local_caption"),
)


@dataclass
class _Prepared:
    """An item that passed the checks, with its preserved region (None without mask/source)."""

    item: EditToScore
    preserved: np.ndarray | None
    values: list[MetricValue] = field(default_factory=list)


def _text(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def _check(item: EditToScore) -> _Prepared:
    for role in ("edit", "source", "target", "mask"):
        image = getattr(item, role)
        if image is not None and (image.width <= 0 or image.height <= 0):
            raise ImageRejected(f"{item.item_id}: {role} image has zero size {image.size}")
    if item.mask is None or item.source is None:
        return _Prepared(item=item, preserved=None)
    if item.mask.size != item.source.size:
        raise MaskRejected(
            f"{item.item_id}: mask is {item.mask.width}x{item.mask.height} but its source image "
            f"is {item.source.width}x{item.source.height}"
        )
    return _Prepared(item=item, preserved=preserved_region(item.mask))


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


def _need(condition: object, reason: str) -> None:
    if not condition:
        raise NotApplicable(reason)


def _model_free(prepared: _Prepared, metrics: Collection[str]) -> None:
    item, preserved = prepared.item, prepared.preserved
    pixel_metrics = ((v.L1, l1_distance), (v.L2, l2_distance))
    for metric, distance in pixel_metrics:
        if metric in metrics:

            def pixel(distance: Callable[..., float] = distance) -> float:
                _need(item.target is not None, "no ground-truth target image")
                return distance(item.edit, item.target)

            _record(prepared, metric, v.metric_version(metric), "none", pixel)
    preservation = (
        (v.PRESERVATION_L1, preservation_l1),
        (v.PRESERVATION_PSNR, preservation_psnr),
        (v.PRESERVATION_SSIM, preservation_ssim),
    )
    for metric, measure in preservation:
        if metric in metrics:

            def preserve(measure: Callable[..., float] = measure) -> float:
                _need(item.source is not None, "no source image")
                _need(item.mask is not None, "no edit mask")
                return measure(item.edit, item.source, preserved)

            _record(prepared, metric, v.metric_version(metric), "none", preserve)
    if v.CAPTION_BLEU in metrics:

        def bleu() -> float:
            gold, generated = _generated_and_gold(item)
            return float(np.mean([caption_bleu(caption, gold) for caption in generated]))

        _record(prepared, v.CAPTION_BLEU, v.metric_version(v.CAPTION_BLEU), "global", bleu)


def _generated_and_gold(item: EditToScore) -> tuple[str, list[str]]:
    gold = _text(item.global_caption)
    _need(gold is not None, "no gold output caption")
    generated = [caption for caption in item.generated_captions if _text(caption)]
    _need(generated, "the method wrote no after-edit caption")
    assert gold is not None
    return gold, generated


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
            _need(id(prepared) in row, "no ground-truth target image")
            target = target_embeddings[row[id(prepared)]]
            what = f"{metric} of {prepared.item.item_id}"
            return cosine_similarity(edit_embeddings[i], target, what=what)

        _record(prepared, metric, version, "none", score)


def _clip_t(
    batch: list[_Prepared],
    version: str,
    edit_embeddings: torch.Tensor,
    clip: LoadedModel,
    batch_size: int,
) -> None:
    """CLIP-T against each gold caption kind: cosine of the edit's and the caption's embeddings."""
    captions = [
        {kind: _text(getattr(p.item, name)) for kind, name in _GOLD_CAPTIONS} for p in batch
    ]
    texts = sorted({text for per_item in captions for text in per_item.values() if text})
    text_embeddings = clip_text_embeddings(clip, texts, batch_size=batch_size)
    text_row = {text: i for i, text in enumerate(texts)}
    for i, prepared in enumerate(batch):
        for kind, name in _GOLD_CAPTIONS:

            def score(
                i: int = i, caption: str | None = captions[i][kind], name: str = name
            ) -> float:
                _need(caption is not None, f"no gold {name.replace('_', ' ')}")
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
            usable[id(prepared)] = _generated_and_gold(prepared.item)
    texts = sorted({t for gold, generated in usable.values() for t in (gold, *generated)})
    embeddings = sentence_embeddings(model, texts, batch_size=batch_size)
    row = {text: i for i, text in enumerate(texts)}
    version = _version(model, v.CAPTION_COSINE, models)
    for prepared in batch:

        def score(prepared: _Prepared = prepared) -> float:
            gold, generated = _generated_and_gold(prepared.item)
            what = f"caption-cosine of {prepared.item.item_id}"
            return float(
                np.mean(
                    [
                        cosine_similarity(embeddings[row[g]], embeddings[row[gold]], what=what)
                        for g in generated
                    ]
                )
            )

        _record(prepared, v.CAPTION_COSINE, version, "global", score)


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
    for prepared in batch:
        _model_free(prepared, metrics)
    # 3. model-based metrics, batched on the models' device.
    if batch and models is not None:
        if _CLIP_METRICS & set(metrics):
            _clip_metrics(batch, metrics, models, batch_size)
        if v.DINO in metrics:
            _dino_metric(batch, models, batch_size)
        if v.CAPTION_COSINE in metrics:
            _caption_cosine(batch, models.sentence_embedder(), models, batch_size)
    # 4. report in the canonical metric order.
    order = {metric: i for i, metric in enumerate(v.ALL_METRICS)}
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
