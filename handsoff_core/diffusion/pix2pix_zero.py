"""pix2pix-zero re-diffusion from inverted latents (docs/method.md s1, step 5).

Two DDIM passes from the inverted latent, with classifier-free guidance (the before caption's
embedding as the negative prompt):
- reference pass: condition E(c_b); its cross-attention maps are recorded at every step;
- edit pass: condition E(c_b) + delta; at every step one SGD step (size = cross-attention
  guidance) on the guided batch (unconditional and conditional copies of the latent) pulls
  its cross-attention maps towards the reference's, then the noise is predicted again on the
  updated batch and the DDIM step continues from the unconditional copy.
That is diffusers' `StableDiffusionPix2PixZeroPipeline.__call__`, step for step.

Faster, at the same arithmetic:
- the two passes run in lockstep, so one step's maps live on the device and are used at once;
- one reference pass serves every edit of a sample (weight sweeps: k edits in one batch);
- when the negative prompt equals the reference condition (the Hands-off case) both guided
  copies of the reference are the same, so one copy is computed and its maps serve both;
- self-attention may run fused (SDPA); the gradient pass stops after the last
  cross-attention layer; UNet weights get no gradients;
- several samples are edited in one batch (each sample's loss is its own).
With cross-attention guidance 0 the edit is a plain guided re-diffusion: no maps, no
reference pass, fused attention everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from handsoff_core.diffusion.attention import (
    AttentionArithmetic,
    CrossAttentionMaps,
    StopForward,
    attention_processors,
    map_processors,
    plain_processors,
)


@dataclass(frozen=True)
class EditConfig:
    num_steps: int = 100  # the paper re-diffuses with 100 DDIM steps
    guidance_scale: float = 5.0  # authors' code
    cross_attention_guidance: float = 0.15  # authors' code (pix2pix-zero default 0.1)
    attention: AttentionArithmetic = "fused"  # "reference": the pipeline's bmm everywhere
    # When the negative prompt is the reference condition, compute one reference copy (its
    # maps serve both guided copies). Saves half the reference pass; batch-1 kernels round
    # differently from batch-2 ones (~1e-5 on a tiny model), so False is bit-for-bit.
    share_reference_copies: bool = True


@dataclass
class EditLatents:
    edited: torch.Tensor  # (B, k, 4, h, w): one per sample and edit condition
    reconstruction: torch.Tensor | None  # (B, 4, h, w): the reference pass, if it ran


def denoising_scheduler(scheduler_config: Any, num_steps: int) -> Any:
    """A fresh `DDIMScheduler` on the model's schedule (SD 1.4 ships PNDM; pix2pix-zero
    swaps in DDIM the same way), set to `num_steps`."""
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler.from_config(scheduler_config)
    scheduler.set_timesteps(num_steps)
    return scheduler


@contextlib.contextmanager
def no_weight_gradients(module: Any) -> Iterator[None]:
    """Weights need no gradients (only the latent does); restore the flags afterwards."""
    flags = [(parameter, parameter.requires_grad) for parameter in module.parameters()]
    module.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


def repeat_each_sample(latents: torch.Tensor, times: int) -> torch.Tensor:
    """(B, 4, h, w) -> (B*times, 4, h, w), each sample `times` times in a row, in the memory
    layout of `latents`.

    The latents VAE encoding and inversion return are channels-last, and the pipeline keeps
    that layout throughout (`torch.cat`, elementwise arithmetic); the UNet's convolutions
    round differently on a contiguous copy (2e-5 to 5e-5 after 8 steps of the tiny model).
    `repeat_interleave` always returns a contiguous tensor; `torch.cat` keeps a layout its
    inputs share.
    """
    return torch.cat([sample for sample in latents.split(1) for _ in range(times)])


def _guided(noise: torch.Tensor, guidance_scale: float) -> torch.Tensor:
    unconditional, conditional = noise.chunk(2)
    return unconditional + guidance_scale * (conditional - unconditional)


def _negatives_at(
    step: int, negative: torch.Tensor, negative_per_step: Sequence[torch.Tensor] | None
) -> torch.Tensor:
    return negative if negative_per_step is None else negative_per_step[step]


def pix2pix_zero_edit(
    unet: Any,
    inverted_latents: torch.Tensor,
    before: torch.Tensor,
    edit_conditions: torch.Tensor,
    *,
    scheduler_config: Any,
    config: EditConfig,
    negative: torch.Tensor | None = None,
    negative_per_step: Sequence[torch.Tensor] | None = None,
    with_reconstruction: bool = True,
) -> EditLatents:
    """Edit B samples under k conditions each.

    inverted_latents: (B, 4, h, w); before: E(c_b) (B, 77, D); edit_conditions: (B, k, 77, D),
    e.g. E(c_b) + w_j * delta for a sweep over weights w_j. `negative` (B, 77, D) defaults to
    `before` (the before caption as negative prompt); `negative_per_step` (num_steps tensors
    of (B, 77, D)) replaces it step by step (null-text inversion's unconditional embeddings).
    """
    dtype, device = unet.dtype, unet.device
    batch, weights = edit_conditions.shape[:2]
    scheduler = denoising_scheduler(scheduler_config, config.num_steps)
    before = before.to(device=device, dtype=dtype)
    shared_negative = (
        negative is None and negative_per_step is None and config.share_reference_copies
    )
    negative = before if negative is None else negative.to(device=device, dtype=dtype)
    if negative_per_step is not None:
        negative_per_step = [n.to(device=device, dtype=dtype) for n in negative_per_step]
    conditions = edit_conditions.to(device=device, dtype=dtype).flatten(0, 1)  # (B*k, 77, D)

    def edit_batch_conditions(step: int) -> torch.Tensor:  # (2*B*k, 77, D)
        negatives = _negatives_at(step, negative, negative_per_step)
        return torch.cat([negatives.repeat_interleave(weights, dim=0), conditions])

    def reference_conditions(step: int) -> torch.Tensor:  # (B or 2B, 77, D)
        if shared_negative:
            return before
        return torch.cat([_negatives_at(step, negative, negative_per_step), before])

    start = inverted_latents.to(device=device, dtype=torch.float32)
    edited = repeat_each_sample(start, weights)  # (B*k, 4, h, w)
    reference = start if (with_reconstruction or config.cross_attention_guidance > 0) else None
    guide = config.cross_attention_guidance > 0
    maps = CrossAttentionMaps(
        samples=batch,
        weights=weights,
        reference_copies=1 if shared_negative else 2,
        stop_after_last_layer=True,
    )
    processors = (
        map_processors(unet, config.attention, maps)
        if guide
        else plain_processors(unet, config.attention)
    )
    with attention_processors(unet, processors), no_weight_gradients(unet), torch.no_grad():
        for step, timestep in enumerate(scheduler.timesteps):
            # 1. Reference pass step (records the maps this step's edit is pulled towards).
            if reference is not None:
                maps.start_pass("record")
                reference_input = reference if shared_negative else torch.cat([reference] * 2)
                noise = unet(
                    scheduler.scale_model_input(reference_input, timestep).to(dtype),
                    timestep,
                    encoder_hidden_states=reference_conditions(step),
                ).sample.float()
                if not shared_negative:  # identical copies need no guidance arithmetic
                    noise = _guided(noise, config.guidance_scale)
                reference = scheduler.step(noise, timestep, reference).prev_sample
            # 2. Edit pass: one SGD step on the guided batch towards the reference maps.
            guided_batch = scheduler.scale_model_input(torch.cat([edited] * 2), timestep)
            encoder_states = edit_batch_conditions(step)
            if guide:
                guided_batch = _attention_guidance_step(
                    unet, guided_batch, timestep, encoder_states, maps, config
                )
            # 3. Noise on the updated batch; the DDIM step continues from the first copy.
            maps.start_pass("off")
            noise = unet(guided_batch.to(dtype), timestep, encoder_hidden_states=encoder_states)
            edited = guided_batch.chunk(2)[0]
            noise_pred = _guided(noise.sample.float(), config.guidance_scale)
            edited = scheduler.step(noise_pred, timestep, edited).prev_sample
    return EditLatents(
        edited=edited.view(batch, weights, *edited.shape[1:]),
        reconstruction=reference if with_reconstruction else None,
    )


def _attention_guidance_step(
    unet: Any,
    guided_batch: torch.Tensor,
    timestep: torch.Tensor,
    encoder_states: torch.Tensor,
    maps: CrossAttentionMaps,
    config: EditConfig,
) -> torch.Tensor:
    """x <- x - lr * d(loss)/dx on the (2*B*k, 4, h, w) guided batch; float32 leaf."""
    latent = guided_batch.detach().clone().requires_grad_(True)
    maps.start_pass("guide")
    with torch.enable_grad():
        with contextlib.suppress(StopForward):
            unet(latent.to(unet.dtype), timestep, encoder_hidden_states=encoder_states)
        if maps.loss is None:
            raise RuntimeError("the UNet has no cross-attention layers to guide")
        (gradient,) = torch.autograd.grad(maps.loss, latent)
    # torch.optim.SGD's update, literally: param.add_(grad, alpha=-lr).
    return latent.detach().add_(gradient, alpha=-config.cross_attention_guidance)


def _canonical_strides(latents: torch.Tensor) -> torch.Tensor:
    """The latents with the strides a fresh tensor of their layout has.

    A channels-last latent viewed out of the (B, k, 4, h, w) edit with B or k equal to 1 has
    a size-1 batch dimension whose stride is not the canonical one; the convolutions then
    take their contiguous kernel, not the channels-last one the pipeline's latents get, and
    the decoded image differs by rounding (~5e-6).
    """
    if latents.is_contiguous() or not latents.is_contiguous(memory_format=torch.channels_last):
        return latents
    return latents.clone(memory_format=torch.channels_last)


def decode_latents(vae: Any, latents: torch.Tensor, *, batch_size: int = 4) -> torch.Tensor:
    """Images in [0, 1] (N, 3, H, W), float32 on the CPU, from latents (N, 4, h, w)."""
    images = []
    with torch.no_grad():
        for start in range(0, latents.shape[0], batch_size):
            chunk = latents[start : start + batch_size].to(device=vae.device, dtype=vae.dtype)
            chunk = _canonical_strides(chunk)
            decoded = vae.decode(chunk / vae.config.scaling_factor, return_dict=False)[0]
            images.append((decoded.float() / 2 + 0.5).clamp(0, 1).cpu())
    return torch.cat(images)
