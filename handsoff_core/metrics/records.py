"""What the metrics API takes (an edit to score) and gives (metric values)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from handsoff_core.metrics.specs import CAPTION_KINDS, CaptionKind


@dataclass(frozen=True)
class MetricValue:
    """One metric of one edit: a finite value, or None with the reason it does not apply."""

    metric: str
    version: str  # e.g. "clip-t/1+openai/clip-vit-base-patch32"; see versions.py
    caption_kind: CaptionKind  # which gold caption a text metric used; "none" otherwise
    value: float | None
    not_applicable: str | None = None

    def __post_init__(self) -> None:
        if self.caption_kind not in CAPTION_KINDS:
            raise ValueError(
                f"{self.metric}: caption_kind {self.caption_kind!r} not in {CAPTION_KINDS}"
            )
        if (self.value is None) == (self.not_applicable is None):
            raise ValueError(f"{self.metric}: give a value or a not-applicable reason, not both")
        if self.value is not None and not math.isfinite(self.value):
            # Never stored: every metric defines its finite range (see registry.py).
            raise ValueError(f"{self.metric}: non-finite value {self.value!r}")


@dataclass(frozen=True)
class EditToScore:
    """Everything one edit can be scored with; absent parts make their metrics not applicable.

    Oracle rows are ordinary edits: the identity oracle's `edit` is the source, the
    ground-truth oracle's `edit` is the target.
    """

    item_id: str  # names the item in every error message
    edit: Image.Image  # the method's output, any PIL mode (converted to RGB)
    source: Image.Image | None = None  # the input image (preservation metrics)
    target: Image.Image | None = None  # the ground-truth output (L1, L2, CLIP-I, DINO)
    # Edited region white (>= 128) or transparent (DALL-E style), at the source's size.
    mask: Image.Image | None = None
    global_caption: str | None = None  # gold output caption, global description
    local_caption: str | None = None  # gold description of the edited region
    generated_captions: Sequence[str] = ()  # the method's after-edit caption(s)
