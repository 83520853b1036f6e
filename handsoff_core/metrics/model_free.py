"""Per-item computations of the built-in model-free metrics (the registry's `compute`s).

Each takes one checked `EditToScore` (`api.score_edits` has already refused a mask of
another size than its source) and returns a finite value, or raises `NotApplicable` naming
what the item lacks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from handsoff_core.metrics.caption_quality import caption_bleu
from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.pixel import l1_distance, l2_distance
from handsoff_core.metrics.preservation import (
    preservation_l1,
    preservation_psnr,
    preservation_ssim,
    preserved_region,
)
from handsoff_core.metrics.records import EditToScore


def need(condition: object, reason: str) -> None:
    if not condition:
        raise NotApplicable(reason)


def text(value: str | None) -> str | None:
    return value.strip() if value is not None and value.strip() else None


def generated_and_gold(item: EditToScore) -> tuple[str, list[str]]:
    """The gold output caption and the method's non-empty after-edit captions."""
    gold = text(item.global_caption)
    need(gold is not None, "no gold output caption")
    generated = [caption for caption in item.generated_captions if text(caption)]
    need(generated, "the method wrote no after-edit caption")
    assert gold is not None
    return gold, generated


def l1(item: EditToScore) -> float:
    need(item.target is not None, "no ground-truth target image")
    assert item.target is not None
    return l1_distance(item.edit, item.target)


def l2(item: EditToScore) -> float:
    need(item.target is not None, "no ground-truth target image")
    assert item.target is not None
    return l2_distance(item.edit, item.target)


def _source_and_preserved(item: EditToScore) -> tuple[Image.Image, np.ndarray]:
    need(item.source is not None, "no source image")
    need(item.mask is not None, "no edit mask")
    assert item.source is not None and item.mask is not None
    return item.source, preserved_region(item.mask)


def preserved_l1(item: EditToScore) -> float:
    source, preserved = _source_and_preserved(item)
    return preservation_l1(item.edit, source, preserved)


def preserved_psnr(item: EditToScore) -> float:
    source, preserved = _source_and_preserved(item)
    return preservation_psnr(item.edit, source, preserved)


def preserved_ssim(item: EditToScore) -> float:
    source, preserved = _source_and_preserved(item)
    return preservation_ssim(item.edit, source, preserved)


def bleu(item: EditToScore) -> float:
    gold, generated = generated_and_gold(item)
    return float(np.mean([caption_bleu(caption, gold) for caption in generated]))
