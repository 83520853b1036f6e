"""`handsoff bench edit --profile tiny|sd14-arch`: seconds per stage and edits/s of Hands-off.

In one run, on the same inputs:
1. Hands-off (`handsoff` method, default parameters except size and steps) on `--n` random
   images, `--batch` at a time, after an untimed warm-up: seconds per stage, edits/s;
2. diffusers' `StableDiffusionPix2PixZeroPipeline` (`invert` + `__call__`) on the same
   images, embeddings, steps, guidance and seeds, one image per call as the pipeline is
   used: seconds per edit, the ratio to ours, and how far its images are from ours;
3. a 4-weight sweep (one inversion, one reference pass) against 4 separate edits.
The images are random pixels and, with random-weight profiles, the outputs are noise: this
measures cost, not quality.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.commands.edit import load_method, parse_overrides
from flows.cli.common import console, emit_json, fail

if TYPE_CHECKING:
    from flows.cli.app import CommandGroups

SWEEP_WEIGHTS = (0.5, 0.75, 1.0, 1.25)  # the paper's sweep
DIFFUSION_STAGES = ("encode", "invert", "edit", "postprocess")


def _requests(count: int, size: int) -> list[Any]:
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
    import torch

    if getattr(device, "type", str(device)) == "cuda":
        torch.cuda.synchronize()


def _reference_edit(
    pipeline: Any, sd: Any, request: Any, result: Any, params: dict[str, Any]
) -> Any:
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


def register(groups: CommandGroups) -> None:
    @groups.bench.command("edit")
    def bench_edit(
        profile: Annotated[str, typer.Option("--profile", help="tiny or sd14-arch")] = "tiny",
        count: Annotated[int, typer.Option("--n", min=1, help="Images to edit.")] = 2,
        batch: Annotated[int, typer.Option("--batch", min=1, help="Images per batch.")] = 2,
        size: Annotated[
            int | None, typer.Option("--size", help="px; default 128 (tiny), 512 otherwise.")
        ] = None,
        steps: Annotated[
            int | None,
            typer.Option("--steps", help="Inversion and edit steps; default 20 (tiny), 100."),
        ] = None,
        overrides: Annotated[
            list[str] | None, typer.Option("--set", help="Method parameter name=value.")
        ] = None,
        reference: Annotated[
            bool, typer.Option("--reference/--no-reference", help="Time diffusers' pipeline.")
        ] = True,
        sweep: Annotated[bool, typer.Option("--sweep/--no-sweep", help="Time a sweep.")] = True,
        threads: Annotated[
            int | None, typer.Option("--threads", help="torch CPU threads (default: torch's).")
        ] = None,
        device: Annotated[str | None, typer.Option("--device", help="auto, cpu, cuda")] = None,
        dtype: Annotated[str | None, typer.Option("--dtype", help="auto, fp32, fp16, bf16")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """Per-stage seconds and edits/s of Hands-off, against diffusers' pix2pix-zero."""
        import numpy as np
        import torch

        from handsoff_core.diffusion.reference import pix2pix_zero_reference

        if threads:
            torch.set_num_threads(threads)
        tiny = profile == "tiny"
        size = size or (128 if tiny else 512)
        steps = steps or (20 if tiny else 100)
        params = {"resolution": size, "num_inversion_steps": steps, "num_edit_steps": steps}
        params.update(parse_overrides(overrides or []))
        method, config, models = load_method("handsoff", params, profile, device, dtype)
        method.max_batch = batch
        sd = models.diffusion()
        requests = _requests(count, size)

        def on_these_models(**changes: Any) -> Any:
            """The method with some parameters changed, on the already loaded models."""
            from handsoff_core.methods.registry import build_method, default_config

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
            fail(f"bench items failed: {failures}")
        stages: dict[str, float] = {}
        for result in results:
            for stage, seconds in result.timings.items():
                stages[stage] = stages.get(stage, 0.0) + seconds / len(results)
        diffusion_seconds = sum(stages.get(stage, 0.0) for stage in DIFFUSION_STAGES)
        report: dict[str, Any] = {
            "profile": profile,
            "device": str(models.device),
            "device_name": torch.cuda.get_device_name() if models.device.type == "cuda" else None,
            "dtype": str(models.dtype).removeprefix("torch."),
            "threads": torch.get_num_threads(),
            "n": count,
            "batch": batch,
            "size": size,
            "steps": steps,
            "config_hash": config.config_hash(),
            "seconds_per_stage": {k: round(v, 4) for k, v in stages.items()},
            "seconds_per_edit": round(wall / count, 4),
            "edits_per_second": round(count / wall, 4),
            "diffusion_seconds_per_edit": round(diffusion_seconds, 4),
        }
        # 2. diffusers' pix2pix-zero on the same inputs.
        if reference:
            times, differences = [], []
            with pix2pix_zero_reference(sd) as pipeline:
                for request, result in zip(requests, results, strict=True):
                    seconds, image = _reference_edit(
                        pipeline, sd, request, result, dict(config.params)
                    )
                    ours = np.asarray(result.image, dtype=np.float32) / 255.0
                    differences.append(np.abs(np.round(image * 255) / 255 - ours))
                    times.append(seconds)
            reference_seconds = sum(times) / len(times)
            difference = np.stack(differences)
            report["reference"] = {
                "seconds_per_edit": round(reference_seconds, 4),
                "edits_per_second": round(1 / reference_seconds, 4),
                "ratio_to_our_diffusion_stages": round(reference_seconds / diffusion_seconds, 3),
                "ratio_to_our_whole_edit": round(reference_seconds / (wall / count), 3),
                "image_max_abs_difference": round(float(difference.max()), 5),
                "image_mean_abs_difference": round(float(difference.mean()), 6),
            }
        # 3. a 4-weight sweep against 4 separate edits (no stage cache for either).
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
            separate_seconds = time.perf_counter() - started
            report["sweep"] = {
                "weights": list(SWEEP_WEIGHTS),
                "sweep_seconds": round(sweep_seconds, 3),
                "separate_seconds": round(separate_seconds, 3),
                "saving": round(1 - sweep_seconds / separate_seconds, 3),
            }
        if as_json:
            emit_json(report)
            return
        console.print(
            f"[bold]Hands-off[/] on {report['device']} ({report['dtype']}), profile {profile}, "
            f"{count} images of {size} px, {steps}+{steps} steps, batch {batch}"
        )
        for stage, seconds in report["seconds_per_stage"].items():
            console.print(f"  {stage:>12}: {seconds:.3f} s per edit")
        console.print(
            f"  {'total':>12}: {report['seconds_per_edit']:.3f} s per edit, "
            f"{report['edits_per_second']:.3f} edits/s"
        )
        if "reference" in report:
            ref = report["reference"]
            console.print(
                f"  diffusers pix2pix-zero: {ref['seconds_per_edit']:.3f} s per edit; "
                f"ratio to our diffusion stages {ref['ratio_to_our_diffusion_stages']:.2f}x; "
                f"image difference max {ref['image_max_abs_difference']:.4f}, "
                f"mean {ref['image_mean_abs_difference']:.6f}"
            )
        if "sweep" in report:
            sw = report["sweep"]
            console.print(
                f"  4-weight sweep {sw['sweep_seconds']:.2f} s vs 4 edits "
                f"{sw['separate_seconds']:.2f} s: saving {100 * sw['saving']:.0f}%"
            )
