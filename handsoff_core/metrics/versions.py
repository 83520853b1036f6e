"""Metric names and version strings, as views of the registry (`registry.py`).

A stored value is only comparable with values of the same version. A version is
`<metric>/<definition revision>` plus, for model-based metrics, `+<model identity>` and, when
the model ran in another dtype than float32, `+<dtype>`; e.g.
`clip-i/1+openai/clip-vit-base-patch32` or `dino/1+tiny-dino@3f2a9c01d4e5`.

Bump a definition revision (the metric's `MetricSpec.revision`, with its `definition`)
whenever the computation changes (preprocessing, resampling, pooling, tokenisation,
aggregation, caps); the model identity changes by itself when the model does (see
`models.model_identity`).

`ALL_METRICS`, `MODEL_FREE_METRICS` and `DEFINITION_REVISIONS` are live views: a metric
registered later (`registry.register_metric`) is in them from then on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any, overload

from handsoff_core.metrics.registry import (
    CAPTION_BLEU,
    CAPTION_COSINE,
    CLIP_I,
    CLIP_T,
    DINO,
    L1,
    L2,
    PRESERVATION_L1,
    PRESERVATION_PSNR,
    PRESERVATION_SSIM,
    find_metric_spec,
    metric_names,
    metric_spec,
    metric_specs,
)
from handsoff_core.metrics.specs import CAPTION_KINDS, CaptionKind  # re-exported

if TYPE_CHECKING:
    import torch

__all__ = [
    "ALL_METRICS",
    "CAPTION_BLEU",
    "CAPTION_COSINE",
    "CAPTION_KINDS",
    "CLIP_I",
    "CLIP_T",
    "DEFINITION_REVISIONS",
    "DINO",
    "L1",
    "L2",
    "MODEL_FREE_METRICS",
    "PRESERVATION_L1",
    "PRESERVATION_PSNR",
    "PRESERVATION_SSIM",
    "CaptionKind",
    "metric_version",
]


class _MetricNames(Sequence[str]):
    """Every registered metric's name, in display order."""

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return metric_names()[index]

    def __len__(self) -> int:
        return len(metric_names())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]  # it changes as metrics are registered

    def __repr__(self) -> str:
        return repr(metric_names())


class _ModelFreeNames(Set[str]):
    """The names of the metrics that need no model."""

    @classmethod
    def _from_iterable(cls, names: Iterable[Any]) -> frozenset[Any]:
        return frozenset(names)  # set operations (-, &, |) give a plain snapshot

    def _names(self) -> frozenset[str]:
        return frozenset(spec.name for spec in metric_specs() if spec.model_free)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


class _DefinitionRevisions(Mapping[str, int]):
    """{metric: its definition revision}."""

    def __getitem__(self, name: str) -> int:
        spec = find_metric_spec(name)
        if spec is None:
            raise KeyError(name)
        return spec.revision

    def __iter__(self) -> Iterator[str]:
        return iter(metric_names())

    def __len__(self) -> int:
        return len(metric_names())

    def __repr__(self) -> str:
        return repr(dict(self))


ALL_METRICS: Sequence[str] = _MetricNames()
MODEL_FREE_METRICS: Set[str] = _ModelFreeNames()
DEFINITION_REVISIONS: Mapping[str, int] = _DefinitionRevisions()

# Short names of the dtypes a model may run in; float32 is the default and is not named.
_DTYPE_NAMES = {"float16": "fp16", "bfloat16": "bf16", "float64": "fp64"}


def metric_version(
    metric: str, *, model_identity: str | None = None, dtype: torch.dtype | None = None
) -> str:
    """Version string of `metric`, e.g. "clip-t/1+openai/clip-vit-base-patch32"."""
    spec = metric_spec(metric)
    version = f"{metric}/{spec.revision}"
    if spec.model_free:
        return version
    if not model_identity:
        raise ValueError(f"metric {metric!r} needs the identity of its model")
    version += f"+{model_identity}"
    dtype_name = str(dtype).removeprefix("torch.") if dtype is not None else "float32"
    if dtype_name != "float32":
        version += f"+{_DTYPE_NAMES.get(dtype_name, dtype_name)}"
    return version
