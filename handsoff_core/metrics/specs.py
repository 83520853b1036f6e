"""What a metric is, in one record: `MetricSpec`.

Everything the layers need to know about a metric lives in its spec: the name stored with
each value, the definition revision (part of the version, see `versions.py`) and what it
means, the model it runs on, which way is better, the caption kinds it yields, whether it is
a column of the run digest, and, for a model-free metric, how to compute it for one item.
The registry (`registry.py`) holds the specs in display order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from handsoff_core.metrics.records import EditToScore

CaptionKind = Literal["global", "local", "none"]
CAPTION_KINDS: tuple[CaptionKind, ...] = ("global", "local", "none")
# The `MetricModels` loader a model-based metric runs on (and whose identity its version names).
MetricModel = Literal["clip", "dino", "sentence_embedder"]
Better = Literal["lower", "higher"]

# Lower-case words joined by "-": the name is a database key and a CLI argument.
_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class MetricSpec:
    """One metric. A model-free metric is computed item by item by `compute`, which raises
    `NotApplicable` (with the reason) when the item lacks what it needs; a model-based one is
    computed in batches on its model by `api.score_edits`."""

    name: str  # stored with every value, e.g. "clip-t"
    revision: int  # definition revision: bump it whenever the computation changes
    definition: str  # what this revision computes, precisely enough to reimplement it
    model: MetricModel | None = None  # None: model-free
    better: Better | None = None  # None: the definition says neither (no arrow)
    caption_kinds: tuple[CaptionKind, ...] = ("none",)  # one value per kind per item
    headline: CaptionKind | None = None  # a run-digest column with this caption kind
    compute: Callable[[EditToScore], float] | None = None  # model-free metrics only

    def __post_init__(self) -> None:
        problems = []
        if not _NAME.fullmatch(self.name):
            problems.append("the name must be lower-case words joined by '-'")
        if self.revision < 1:
            problems.append(f"revision {self.revision} is not a positive integer")
        if not self.definition.strip():
            problems.append("the definition is empty")
        if self.model is not None and self.model not in get_args(MetricModel):
            problems.append(f"model {self.model!r} is not one of {get_args(MetricModel)}")
        if self.better is not None and self.better not in get_args(Better):
            problems.append(f"better {self.better!r} is not one of {get_args(Better)}")
        if not self.caption_kinds or not set(self.caption_kinds) <= set(CAPTION_KINDS):
            problems.append(f"caption kinds {self.caption_kinds} are not among {CAPTION_KINDS}")
        if self.headline is not None and self.headline not in self.caption_kinds:
            problems.append(f"headline kind {self.headline!r} is not one it yields")
        if self.model is None and self.compute is None:
            problems.append("a model-free metric needs compute (nothing else computes it)")
        if self.model is not None and self.compute is not None:
            problems.append("a model-based metric is computed batched on its model, not by compute")
        if self.compute is not None and len(self.caption_kinds) != 1:
            problems.append("compute yields one value per item, so exactly one caption kind")
        if problems:
            raise ValueError(f"metric {self.name!r}: {'; '.join(problems)}")

    @property
    def model_free(self) -> bool:
        return self.model is None
