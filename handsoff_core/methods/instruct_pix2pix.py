"""The InstructPix2Pix baselines (docs/method.md s2): `instruct-pix2pix` and `magicbrush`.

Both run diffusers' StableDiffusionInstructPix2PixPipeline with the checkpoint's own
scheduler (Euler ancestral for timbrooks/instruct-pix2pix, the original CLI's sampler):
100 steps, text guidance 7.5, image guidance 1.5, 512 px by default. `magicbrush` is the same
pipeline with the MagicBrush fine-tuned weights (the profile's `magicbrush` role).

Sizes: the source is resized (LANCZOS) to the working size and the output resized back to
the source size. "aspect-fit" is the original CLI's rule (longer side about `resolution`,
both sides multiples of 64) but resizes instead of cropping, so every output pixel maps back
to a source pixel; "square" uses resolution x resolution.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from handsoff_core.errors import ConfigError, ItemError
from handsoff_core.methods.base import EditRequest, EditResult, MethodConfig, check_request

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from handsoff_core.cache import StageCache
    from handsoff_core.models.loading import LoadedModels

RESIZE_MODES = ("aspect-fit", "square")
_ROLES = {"instruct-pix2pix": "instruct_pix2pix", "magicbrush": "magicbrush"}


def working_size(size: tuple[int, int], resolution: int, mode: str) -> tuple[int, int]:
    """(width, height) the model runs at: multiples of 64 (the UNet's down/up-sampling)."""
    if mode == "square":
        return resolution, resolution
    width, height = size
    # edit_cli.py of the InstructPix2Pix authors: scale the longer side to `resolution`, then
    # round the shorter side up to a multiple of 64 and both sides down to multiples of 64.
    factor = resolution / max(width, height)
    if min(width, height) * factor < 64:
        # Beyond 8:1 (at 512 px) rounding the short side up to 64 would blow the long side
        # up without bound (1000x10 -> 6400x64): keep the long side, the short side 64.
        long_side = max(64, resolution // 64 * 64)
        return (long_side, 64) if width >= height else (64, long_side)
    factor = math.ceil(min(width, height) * factor / 64) * 64 / min(width, height)
    return max(64, int((width * factor) // 64) * 64), max(64, int((height * factor) // 64) * 64)


class InstructPix2PixMethod:
    """InstructPix2Pix (or its MagicBrush fine-tune) on one request or a batch."""

    max_batch = 4  # images per pipeline call in edit_batch (a throughput knob, not a param)

    @classmethod
    def default_params(cls, method: str) -> dict[str, Any]:
        if method not in _ROLES:
            raise ConfigError(f"InstructPix2PixMethod does not implement {method!r}")
        return {
            "num_inference_steps": 100,  # docs/method.md s2 (the evaluation setting)
            "guidance_scale": 7.5,  # text guidance
            "image_guidance_scale": 1.5,  # image guidance
            "resolution": 512,  # px; longer side in aspect-fit mode
            "resize_mode": "aspect-fit",
        }

    def __init__(
        self,
        config: MethodConfig,
        models: LoadedModels,
        *,
        device: torch.device,
        dtype: torch.dtype,
        cache: StageCache | None = None,
    ) -> None:
        params = config.params
        if params["resize_mode"] not in RESIZE_MODES:
            raise ConfigError(
                f"method {config.method!r}: resize_mode {params['resize_mode']!r} is not one "
                f"of {RESIZE_MODES}"
            )
        if params["resolution"] < 64 or params["num_inference_steps"] < 1:
            raise ConfigError(f"method {config.method!r}: resolution >= 64 and steps >= 1")
        self.config = config
        self.models = models
        self.device = device
        self.dtype = dtype
        self.role = _ROLES[config.method]
        self._config_hash = config.config_hash()

    def pipeline(self) -> Any:
        return getattr(self.models, self.role)()

    def edit(self, request: EditRequest) -> EditResult:
        result = self.edit_batch([request])[0]
        if isinstance(result, ItemError):
            raise result
        return result

    def edit_batch(self, requests: Sequence[EditRequest]) -> list[EditResult | ItemError]:
        """Edit several items; items of the same working size share pipeline calls."""
        results: list[EditResult | ItemError | None] = [None] * len(requests)
        groups: dict[tuple[int, int], list[int]] = {}
        for index, request in enumerate(requests):
            try:
                check_request(request)
            except ItemError as error:
                results[index] = error
                continue
            size = working_size(
                request.source_image.size,
                self.config.params["resolution"],
                self.config.params["resize_mode"],
            )
            groups.setdefault(size, []).append(index)
        for size, indices in groups.items():
            for start in range(0, len(indices), self.max_batch):
                chunk = indices[start : start + self.max_batch]
                edited = self._run([requests[i] for i in chunk], size)
                for index, result in zip(chunk, edited, strict=True):
                    results[index] = result
        return [result for result in results if result is not None]

    def _run(self, requests: list[EditRequest], size: tuple[int, int]) -> list[EditResult]:
        import torch
        from PIL import Image

        params = self.config.params
        pipeline = self.pipeline()
        # 1. resize every source to the working size
        sources = [r.source_image.resize(size, Image.Resampling.LANCZOS) for r in requests]
        # 2. one generator per item, so an item's output does not depend on its batch
        generator_device = "cpu" if self.device.type == "mps" else self.device
        generators = [torch.Generator(generator_device).manual_seed(r.seed) for r in requests]
        # 3. the pipeline: UNet at batch 3 x items (text, image and unconditional guidance)
        start = time.perf_counter()
        with torch.no_grad():
            output = pipeline(
                prompt=[r.instruction for r in requests],
                image=sources,
                num_inference_steps=params["num_inference_steps"],
                guidance_scale=params["guidance_scale"],
                image_guidance_scale=params["image_guidance_scale"],
                generator=generators,
                output_type="pil",
            )
        seconds_each = (time.perf_counter() - start) / len(requests)
        # 4. back to each source's size
        return [
            self._result(request, image, size, seconds_each)
            for request, image in zip(requests, output.images, strict=True)
        ]

    def _result(
        self, request: EditRequest, image: Image.Image, size: tuple[int, int], seconds: float
    ) -> EditResult:
        from PIL import Image

        notes = [*self.models.output_notes]
        source_size = request.source_image.size
        if size != source_size:
            notes.append(
                f"resized {source_size[0]}x{source_size[1]} -> {size[0]}x{size[1]} for the "
                "model and back"
            )
            image = image.resize(source_size, Image.Resampling.LANCZOS)
        return EditResult(
            item_id=request.item_id,
            image=image.convert("RGB"),
            config_hash=self._config_hash,
            seed=request.seed,
            before_captions=[],
            after_captions=[],
            llm_raw_text=None,
            timings={"edit": seconds},
            notes=notes,
        )
