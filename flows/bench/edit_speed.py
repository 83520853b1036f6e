"""Seconds per stage and edits/s of Hands-off, against diffusers' pix2pix-zero.

In one measurement, on the same inputs:
1. Hands-off (the loaded method) on `count` random images, `batch` at a time, after an
   untimed warm-up: seconds per stage, edits/s;
2. diffusers' `StableDiffusionPix2PixZeroPipeline` (`invert` + `__call__`) on the same
   images, embeddings, steps, guidance and seeds, one image per call as the pipeline is
   used: seconds per edit, the ratio to ours, and how far its images are from ours;
3. a 4-weight sweep (one inversion, one reference pass) against 4 separate edits.
The images are random pixels and, with random-weight profiles, the outputs are noise: this
measures cost, not quality.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flows.bench.errors import BenchRefused
from flows.bench.sweep_weights import SWEEP_WEIGHTS

DIFFUSION_STAGES = ("encode", "invert", "edit", "postprocess")


@dataclass(frozen=True)
class ReferenceSpeed:
    """diffusers' pix2pix-zero on the same items."""

    seconds_per_edit: float
    ratio_to_our_diffusion_stages: float
    ratio_to_our_whole_edit: float
    image_max_abs_difference: float  # in [0, 1]: 1/255 is one 8-bit level
    image_mean_abs_difference: float


@dataclass(frozen=True)
class SweepSpeed:
    """One `edit_sweep` over SWEEP_WEIGHTS against one edit per weight (no stage cache)."""

    weights: tuple[float, ...]
    sweep_seconds: float
    separate_seconds: float

    @property
    def saving(self) -> float:
        return 1 - self.sweep_seconds / self.separate_seconds


@dataclass(frozen=True)
class EditSpeed:
    profile: str
    device: str
    device_name: str | None  # the GPU's name on CUDA
    dtype: str
    threads: int
    n: int
    batch: int
    size: int
    steps: int
    config_hash: str
    seconds_per_stage: dict[str, float]  # mean over the edits
    seconds_per_edit: float  # wall time of the batched edits / n
    diffusion_seconds_per_edit: float  # the DIFFUSION_STAGES of seconds_per_stage
    reference: ReferenceSpeed | None
    sweep: SweepSpeed | None

    @property
    def edits_per_second(self) -> float:
        return 1 / self.seconds_per_edit

    def as_dict(self) -> dict[str, Any]:
        """The figures as `handsoff bench edit --json` prints them (rounded)."""
        report: dict[str, Any] = {
            "profile": self.profile,
            "device": self.device,
            "device_name": self.device_name,
            "dtype": self.dtype,
            "threads": self.threads,
            "n": self.n,
            "batch": self.batch,
            "size": self.size,
            "steps": self.steps,
            "config_hash": self.config_hash,
            "seconds_per_stage": {k: round(v, 4) for k, v in self.seconds_per_stage.items()},
            "seconds_per_edit": round(self.seconds_per_edit, 4),
            "edits_per_second": round(self.edits_per_second, 4),
            "diffusion_seconds_per_edit": round(self.diffusion_seconds_per_edit, 4),
        }
        if self.reference is not None:
            ref = self.reference
            report["reference"] = {
                "seconds_per_edit": round(ref.seconds_per_edit, 4),
                "edits_per_second": round(1 / ref.seconds_per_edit, 4),
                "ratio_to_our_diffusion_stages": round(ref.ratio_to_our_diffusion_stages, 3),
                "ratio_to_our_whole_edit": round(ref.ratio_to_our_whole_edit, 3),
                "image_max_abs_difference": round(ref.image_max_abs_difference, 5),
                "image_mean_abs_difference": round(ref.image_mean_abs_difference, 6),
            }
        if self.sweep is not None:
            report["sweep"] = {
                "weights": list(self.sweep.weights),
                "sweep_seconds": round(self.sweep.sweep_seconds, 3),
                "separate_seconds": round(self.sweep.separate_seconds, 3),
                "saving": round(self.sweep.saving, 3),
            }
        return report


def bench_requests(count: int, size: int) -> list[Any]:
    """`count` EditRequests on random `size` px images (seeded: the same every run)."""
    import numpy as np
    from PIL import Image

    from handsoff_core.methods.base import EditRequest

    rng = np.random.default_rng(0)
    return [
        EditRequest(
            item_id=f"bench-{index}",
            source_image=Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)),
            instruction="put a hat on the cat",
            seed=index,
        )
        for index in range(count)
    ]


def _synchronize(device: Any) -> None:
    """Wait for queued CUDA kernels, so wall time covers the work and not just its launch."""
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        torch.cuda.synchronize()


def _reference_edit(
    pipeline: Any, sd: Any, request: Any, result: Any, params: dict[str, Any]
) -> tuple[float, Any]:
    """pix2pix-zero's pipeline on one item with our captions: (seconds, image in [0, 1])."""
    import torch

    from handsoff_core.diffusion.direction import encode_prompts, mean_embedding

    source_caption = result.before_captions[0]
    before_side = result.before_captions[1:] or [source_caption]
    dtype = sd.unet.dtype
    started = time.perf_counter()
    source = mean_embedding(sd.tokenizer, sd.text_encoder, [source_caption]).to(dtype)
    source_each = encode_prompts(sd.tokenizer, sd.text_encoder, before_side).to(dtype)
    target_each = encode_prompts(sd.tokenizer, sd.text_encoder, result.after_captions).to(dtype)
    inverted = pipeline.invert(
        prompt_embeds=source,
        image=request.source_image,
        num_inference_steps=params["num_inversion_steps"],
        generator=torch.Generator("cpu").manual_seed(request.seed),
        lambda_auto_corr=params["lambda_auto_corr"],
        lambda_kl=params["lambda_kl"],
        num_reg_steps=params["num_reg_steps"],
        num_auto_corr_rolls=params["num_auto_corr_rolls"],
        output_type="latent",
    ).latents
    output = pipeline(
        prompt_embeds=source,
        negative_prompt_embeds=source,
        source_embeds=source_each,
        target_embeds=target_each,
        latents=inverted,
        num_inference_steps=params["num_edit_steps"],
        guidance_scale=params["guidance_scale"],
        cross_attention_guidance_amount=params["cross_attention_guidance"],
        output_type="np",
    )
    _synchronize(sd.unet.device)
    return time.perf_counter() - started, output.images[0]


def _time_reference(
    requests: list[Any], results: list[Any], sd: Any, params: dict[str, Any]
) -> Any:
    """(mean seconds per edit, stacked |reference - ours| per pixel, ours read as 8-bit)."""
    import numpy as np

    from handsoff_core.diffusion.reference import pix2pix_zero_reference

    times, differences = [], []
    with pix2pix_zero_reference(sd) as pipeline:
        for request, result in zip(requests, results, strict=True):
            seconds, image = _reference_edit(pipeline, sd, request, result, params)
            ours = np.asarray(result.image, dtype=np.float32) / 255.0
            differences.append(np.abs(np.round(image * 255) / 255 - ours))
            times.append(seconds)
    return sum(times) / len(times), np.stack(differences)


def measure_edit_speed(
    *,
    method: Any,
    config: Any,
    models: Any,
    params: dict[str, Any],
    profile: str,
    count: int,
    batch: int,
    size: int,
    steps: int,
    reference: bool = True,
    sweep: bool = True,
) -> EditSpeed:
    """Time the loaded Hands-off `method` (built from `config` = defaults + `params` on
    `models`, a LoadedModels) on `count` random images of `size` px, `batch` at a time."""
    import torch

    from handsoff_core.methods.registry import build_method, default_config

    method.max_batch = batch
    sd = models.diffusion()
    requests = bench_requests(count, size)

    def on_these_models(**changes: Any) -> Any:
        """The method with some parameters changed, on the already loaded models."""
        changed = default_config("handsoff", **{**params, **changes})
        return build_method(changed, models, device=models.device, dtype=models.dtype)

    # 0. warm-up (kernels, allocator, lazy loading of the captioner and LLM): untimed.
    on_these_models(num_inversion_steps=2, num_edit_steps=2).edit(requests[0])
    # 1. Hands-off, batched.
    _synchronize(models.device)
    started = time.perf_counter()
    results = method.edit_batch(requests)
    _synchronize(models.device)
    wall = time.perf_counter() - started
    failures = [str(r) for r in results if not hasattr(r, "timings")]
    if failures:
        raise BenchRefused(f"bench items failed: {failures}")
    stages: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.timings.items():
            stages[stage] = stages.get(stage, 0.0) + seconds / len(results)
    diffusion_seconds = sum(stages.get(stage, 0.0) for stage in DIFFUSION_STAGES)
    # 2. diffusers' pix2pix-zero on the same inputs.
    reference_speed = None
    if reference:
        reference_seconds, difference = _time_reference(requests, results, sd, dict(config.params))
        reference_speed = ReferenceSpeed(
            seconds_per_edit=reference_seconds,
            ratio_to_our_diffusion_stages=reference_seconds / diffusion_seconds,
            ratio_to_our_whole_edit=reference_seconds / (wall / count),
            image_max_abs_difference=float(difference.max()),
            image_mean_abs_difference=float(difference.mean()),
        )
    # 3. a 4-weight sweep against 4 separate edits (no stage cache for either).
    sweep_speed = None
    if sweep:
        _synchronize(models.device)
        started = time.perf_counter()
        method.edit_sweep(requests[0], SWEEP_WEIGHTS)
        _synchronize(models.device)
        sweep_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for weight in SWEEP_WEIGHTS:
            on_these_models(weight=weight).edit(requests[0])
        _synchronize(models.device)
        sweep_speed = SweepSpeed(SWEEP_WEIGHTS, sweep_seconds, time.perf_counter() - started)
    return EditSpeed(
        profile=profile,
        device=str(models.device),
        device_name=torch.cuda.get_device_name() if models.device.type == "cuda" else None,
        dtype=str(models.dtype).removeprefix("torch."),
        threads=torch.get_num_threads(),
        n=count,
        batch=batch,
        size=size,
        steps=steps,
        config_hash=config.config_hash(),
        seconds_per_stage=stages,
        seconds_per_edit=wall / count,
        diffusion_seconds_per_edit=diffusion_seconds,
        reference=reference_speed,
        sweep=sweep_speed,
    )
