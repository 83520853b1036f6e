"""The one small interface every edit method implements.

A method turns an `EditRequest` (one sample: source image, instruction, seed) into an
`EditResult` (output image, captions, raw LLM text, per-stage timings). Its `MethodConfig`
holds every parameter; the canonical JSON of that config and its hash identify it
everywhere (database rows, caches, reports).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from handsoff_core.data.records import MAX_INSTRUCTION_CHARS
from handsoff_core.errors import ConfigError, ImageRejected, InstructionRejected, ItemError
from handsoff_core.images import DEFAULT_MAX_PIXELS

if TYPE_CHECKING:
    import torch
    from PIL import Image


def _canonical_value(value: Any, *, path: str) -> Any:
    """Normalise a parameter value into plain JSON types, refusing what JSON cannot hold.

    Tuples become lists (a tuple and a list of the same numbers are the same parameter);
    non-finite floats are refused because JSON has no stable spelling for them.
    """
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigError(f"parameter {path!r}: non-finite float {value!r} is not allowed")
        return value
    if isinstance(value, Mapping):
        return {
            str(key): _canonical_value(item, path=f"{path}.{key}") for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_canonical_value(item, path=f"{path}[{i}]") for i, item in enumerate(value)]
    raise ConfigError(f"parameter {path!r}: value of type {type(value).__name__} is not JSON-able")


@dataclass(frozen=True)
class MethodConfig:
    """Every parameter of a method: the identity of a configuration.

    `params` is fully resolved (defaults filled in) so two configs that behave the same
    have the same hash, whatever order their keys were given in.
    """

    method: str  # registry name, e.g. "handsoff", "instruct-pix2pix"
    params: Mapping[str, Any]  # JSON-able, fully resolved

    def canonical_json(self) -> str:
        """Sorted keys, compact separators; floats use Python's shortest round-trip repr."""
        payload = {"method": self.method, "params": _canonical_value(self.params, path="params")}
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)

    def config_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def with_params(self, **changes: Any) -> MethodConfig:
        """A copy with some parameters replaced (the caller vouches they exist)."""
        return MethodConfig(method=self.method, params={**self.params, **changes})


@dataclass(frozen=True)
class EditRequest:
    """One item to edit."""

    item_id: str  # used in every error message
    source_image: Image.Image  # RGB
    instruction: str
    seed: int
    gold_input_caption: str | None = None
    gold_output_caption: str | None = None
    target_image: Image.Image | None = None  # only the ground-truth oracle uses it


@dataclass
class EditResult:
    """The output of one (item, config, seed)."""

    item_id: str
    image: Image.Image  # RGB output, same size as the source
    config_hash: str
    seed: int
    before_captions: list[str]  # empty for methods without captions
    after_captions: list[str]
    llm_raw_text: str | None
    timings: dict[str, float]  # seconds per stage: caption, rewrite, encode, invert, edit
    notes: list[str] = field(default_factory=list)  # e.g. "tiny profile: random weights"
    inverted_latents: torch.Tensor | None = None  # only when asked for


class EditMethod(Protocol):
    config: MethodConfig

    def edit(self, request: EditRequest) -> EditResult: ...

    def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]: ...


def edit_each(method: EditMethod, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
    """`edit_batch` for methods without a batched path: per-item errors returned in place."""
    results: list[EditResult | ItemError] = []
    for request in requests:
        try:
            results.append(method.edit(request))
        except ItemError as error:
            results.append(error)
    return results


def check_request(
    request: EditRequest,
    *,
    needs_instruction: bool = True,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_instruction_chars: int = MAX_INSTRUCTION_CHARS,
) -> None:
    """Refuse what no method can edit, naming the item: ImageRejected / InstructionRejected.

    Images must already be RGB: conversion (with its note) is the image gate's job
    (`handsoff_core.images.decode_image`), so a method never changes its input silently.
    """
    from PIL import Image

    item = f"item {request.item_id!r}"
    image = request.source_image
    if not isinstance(image, Image.Image):
        raise ImageRejected(f"{item}: source image is a {type(image).__name__}, not a PIL image")
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageRejected(f"{item}: zero-size source image ({width}x{height})")
    if width * height > max_pixels:
        raise ImageRejected(
            f"{item}: source image {width}x{height} exceeds the limit of {max_pixels} pixels"
        )
    if image.mode != "RGB":
        raise ImageRejected(
            f"{item}: source image has mode {image.mode}, expected RGB "
            "(decode it with handsoff_core.images.decode_image)"
        )
    if not needs_instruction:
        return
    instruction = request.instruction
    if not isinstance(instruction, str) or not instruction.strip():
        raise InstructionRejected(f"{item}: empty instruction")
    if len(instruction) > max_instruction_chars:
        raise InstructionRejected(
            f"{item}: instruction of {len(instruction)} characters exceeds the limit of "
            f"{max_instruction_chars}"
        )
