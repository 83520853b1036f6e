"""The metric registry: every metric's `MetricSpec`, in display order.

Adding a model-free metric is one entry: a `MetricSpec` with its `compute`, here for a
built-in one or through `register_metric` for an extension; scoring, the report's tables
and the run digest all read this registry. A model-based metric also needs its batched
computation in `api.score_edits`.

This module imports neither torch nor the metric code (the report and the digest read it):
built-in computations are named "module:function" and imported on first call.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handsoff_core.metrics.specs import CaptionKind, MetricSpec

if TYPE_CHECKING:
    from handsoff_core.metrics.records import EditToScore

# MagicBrush's five (evaluation/image_eval.py).
L1 = "l1"
L2 = "l2"
CLIP_I = "clip-i"
DINO = "dino"
CLIP_T = "clip-t"
# Beyond MagicBrush: preservation outside the edit mask, and caption quality.
PRESERVATION_L1 = "preservation-l1"
PRESERVATION_PSNR = "preservation-psnr"
PRESERVATION_SSIM = "preservation-ssim"
CAPTION_BLEU = "caption-bleu"
CAPTION_COSINE = "caption-cosine"


@dataclass(frozen=True)
class LazyCompute:
    """A `compute` named "module:function", imported when first called."""

    target: str

    def __call__(self, item: EditToScore) -> float:
        module, _, function = self.target.partition(":")
        compute = getattr(importlib.import_module(module), function)
        return float(compute(item))


def _model_free(name: str) -> LazyCompute:
    return LazyCompute(f"handsoff_core.metrics.model_free:{name}")


# Display order: MagicBrush's five as its table has them (the digest's columns are the
# MagicBrush ones, CLIP-T against the global caption as the Hands-off authors compute it),
# then preservation, then caption quality.
BUILT_IN_METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        L1,
        1,
        "mean |edit - target| over [0,1] RGB tensors; edit resized to the target (PIL bicubic).",
        better="lower",
        headline="none",
        compute=_model_free("l1"),
    ),
    MetricSpec(
        L2, 1, "mean (edit - target)^2, same as L1.", better="lower", compute=_model_free("l2")
    ),
    MetricSpec(
        CLIP_I,
        1,
        "cosine of CLIP image embeddings; clip's _transform(224) preprocessing.",
        model="clip",
        better="higher",
        headline="none",
    ),
    MetricSpec(
        DINO,
        1,
        "cosine of DINO CLS embeddings; Resize 256 bicubic, CenterCrop 224, ImageNet norm.",
        model="dino",
        better="higher",
        headline="none",
    ),
    MetricSpec(
        CLIP_T,
        1,
        "cosine of CLIP image and text embeddings; text truncated to CLIP's 77 tokens.",
        model="clip",
        better="higher",
        caption_kinds=("global", "local"),
        headline="global",
    ),
    MetricSpec(
        PRESERVATION_L1,
        1,
        "mean |edit - source| over pixels where the mask is < 128 (edit resized to the source).",
        better="lower",
        compute=_model_free("preserved_l1"),
    ),
    MetricSpec(
        PRESERVATION_PSNR,
        1,
        "10 log10(1 / MSE) over the same pixels, capped at 100 dB.",
        better="higher",
        compute=_model_free("preserved_psnr"),
    ),
    MetricSpec(
        PRESERVATION_SSIM,
        1,
        "Gaussian SSIM (11x11, sigma 1.5, K1 0.01, K2 0.03, per RGB channel), mean over "
        "valid window centres outside the mask.",
        better="higher",
        compute=_model_free("preserved_ssim"),
    ),
    MetricSpec(
        CAPTION_BLEU,
        1,
        "BLEU-4, nltk sentence_bleu, smoothing method1, lowercased word/punctuation tokens; "
        "mean over the generated after-edit captions.",
        better="higher",
        caption_kinds=("global",),
        compute=_model_free("bleu"),
    ),
    MetricSpec(
        CAPTION_COSINE,
        1,
        "cosine of attention-mask mean-pooled last hidden states; mean over generated captions.",
        model="sentence_embedder",
        better="higher",
        caption_kinds=("global",),
    ),
)

_registered: dict[str, MetricSpec] = {spec.name: spec for spec in BUILT_IN_METRICS}


def metric_specs() -> tuple[MetricSpec, ...]:
    """Every metric in display order: the built-in ones, then extensions as registered."""
    return tuple(_registered.values())


def metric_names() -> tuple[str, ...]:
    return tuple(_registered)


def find_metric_spec(name: str) -> MetricSpec | None:
    """The spec of `name`, or None for a metric this registry does not define (values of
    other benchmarks' metrics can still be stored and reported)."""
    return _registered.get(name)


def metric_spec(name: str) -> MetricSpec:
    spec = _registered.get(name)
    if spec is None:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(_registered)}")
    return spec


def display_rank(name: str) -> int:
    """Position of `name` in display order; metrics not registered come after all others."""
    names = metric_names()
    return names.index(name) if name in names else len(names)


def headline_metrics() -> tuple[tuple[str, CaptionKind], ...]:
    """The run digest's columns: (metric, caption kind), in display order."""
    return tuple((s.name, s.headline) for s in _registered.values() if s.headline is not None)


def register_metric(spec: MetricSpec) -> MetricSpec:
    """Add a model-free metric after the built-in ones; it is scored, reported and (when
    `headline`) shown in the digest from then on."""
    if spec.name in _registered:
        raise ValueError(f"metric {spec.name!r} is already registered; pick another name")
    if spec.compute is None:
        raise ValueError(
            f"metric {spec.name!r}: only model-free metrics with a compute can be registered; "
            "a model-based one needs its batched computation in handsoff_core.metrics.api"
        )
    _registered[spec.name] = spec
    return spec


def unregister_metric(name: str) -> None:
    """Remove a metric added by `register_metric` (the built-in ones stay)."""
    if any(spec.name == name for spec in BUILT_IN_METRICS):
        raise ValueError(f"metric {name!r} is built in and cannot be unregistered")
    if name not in _registered:
        raise ValueError(f"metric {name!r} is not registered")
    del _registered[name]
