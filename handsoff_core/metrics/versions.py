"""Metric names and version strings.

A stored value is only comparable with values of the same version. A version is
`<metric>/<definition revision>` plus, for model-based metrics, `+<model identity>` and, when
the model ran in another dtype than float32, `+<dtype>`; e.g.
`clip-i/1+openai/clip-vit-base-patch32` or `dino/1+tiny-dino@3f2a9c01d4e5`.

Bump a definition revision whenever the computation changes (preprocessing, resampling,
pooling, tokenisation, aggregation, caps); the model identity changes by itself when the
model does (see `models.model_identity`).
"""

from __future__ import annotations

from typing import Literal

import torch

CaptionKind = Literal["global", "local", "none"]
CAPTION_KINDS: tuple[CaptionKind, ...] = ("global", "local", "none")

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

# Definition revision of each metric, with what revision 1 means.
DEFINITION_REVISIONS: dict[str, int] = {
    # mean |edit - target| over [0,1] RGB tensors; edit resized to the target (PIL bicubic).
    L1: 1,
    # mean (edit - target)^2, same as L1.
    L2: 1,
    # cosine of CLIP image embeddings; clip's _transform(224) preprocessing.
    CLIP_I: 1,
    # cosine of DINO CLS embeddings; Resize 256 bicubic, CenterCrop 224, ImageNet norm.
    DINO: 1,
    # cosine of CLIP image and text embeddings; text truncated to CLIP's 77 tokens.
    CLIP_T: 1,
    # mean |edit - source| over pixels where the mask is < 128 (edit resized to the source).
    PRESERVATION_L1: 1,
    # 10 log10(1 / MSE) over the same pixels, capped at 100 dB.
    PRESERVATION_PSNR: 1,
    # Gaussian SSIM (11x11, sigma 1.5, K1 0.01, K2 0.03, per RGB channel), mean over
    # valid window centres outside the mask.
    PRESERVATION_SSIM: 1,
    # BLEU-4, nltk sentence_bleu, smoothing method1, lowercased word/punctuation tokens;
    # mean over the generated after-edit captions.
    CAPTION_BLEU: 1,
    # cosine of attention-mask mean-pooled last hidden states; mean over generated captions.
    CAPTION_COSINE: 1,
}
MODEL_FREE_METRICS = frozenset(
    {L1, L2, PRESERVATION_L1, PRESERVATION_PSNR, PRESERVATION_SSIM, CAPTION_BLEU}
)
ALL_METRICS: tuple[str, ...] = tuple(DEFINITION_REVISIONS)

_DTYPE_NAMES = {torch.float16: "fp16", torch.bfloat16: "bf16", torch.float64: "fp64"}


def metric_version(
    metric: str, *, model_identity: str | None = None, dtype: torch.dtype | None = None
) -> str:
    """Version string of `metric`, e.g. "clip-t/1+openai/clip-vit-base-patch32"."""
    if metric not in DEFINITION_REVISIONS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(ALL_METRICS)}")
    version = f"{metric}/{DEFINITION_REVISIONS[metric]}"
    if metric in MODEL_FREE_METRICS:
        return version
    if not model_identity:
        raise ValueError(f"metric {metric!r} needs the identity of its model")
    version += f"+{model_identity}"
    if dtype is not None and dtype != torch.float32:
        version += f"+{_DTYPE_NAMES.get(dtype, str(dtype).removeprefix('torch.'))}"
    return version
