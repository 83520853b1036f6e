"""DDIM inversion with pix2pix-zero's optional noise regularisation (docs/method.md s1, step 4).

The image is encoded by the VAE (a sample of its latent distribution, times the VAE's
`scaling_factor`), then run up the DDIM schedule with `DDIMInverseScheduler`, conditioned on
the before caption's embedding, without classifier-free guidance (scale 1).

pix2pix-zero regularises every predicted noise towards i.i.d. standard normal before each
inverse step: `num_reg_steps` rounds of `num_auto_corr_rolls` auto-correlation gradient steps
(weight `lambda_auto_corr`, random rolls on a pyramid down to 8x8) and one KL step (weight
`lambda_kl`). Zero regularisation steps is plain DDIM inversion.

Batching: each sample draws its rolls from its own generator and its KL term uses its own
mean and variance, so a sample inverted in a batch gets what it would get alone (diffusers'
pipeline takes the KL statistics over the whole batch; for one sample the two agree).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from handsoff_core.diffusion.attention import (
    AttentionArithmetic,
    attention_processors,
    plain_processors,
)


@dataclass(frozen=True)
class InversionConfig:
    num_steps: int = 100  # the paper inverts with 100 DDIM steps
    lambda_auto_corr: float = 20.0  # pix2pix-zero / diffusers default
    lambda_kl: float = 20.0  # pix2pix-zero / diffusers default
    num_reg_steps: int = 5  # diffusers' `invert` default; 0 = plain DDIM inversion
    num_auto_corr_rolls: int = 5  # diffusers' `invert` default


def inverse_scheduler(scheduler_config: Any, num_steps: int) -> Any:
    """A fresh `DDIMInverseScheduler` on the model's schedule, set to `num_steps`."""
    from diffusers import DDIMInverseScheduler

    scheduler = DDIMInverseScheduler.from_config(scheduler_config)
    scheduler.set_timesteps(num_steps)
    return scheduler


def images_to_tensor(images: Sequence[Any]) -> torch.Tensor:
    """RGB PIL images of one size -> (B, 3, H, W) in [-1, 1], exactly as diffusers'
    `VaeImageProcessor.preprocess` makes them (same values and memory layout, so the VAE
    runs the same kernels as in the reference pipeline)."""
    from diffusers.image_processor import VaeImageProcessor

    processor = VaeImageProcessor(do_resize=False)
    tensor: torch.Tensor = processor.preprocess(list(images))
    return tensor


def encode_images(
    vae: Any, images: torch.Tensor, generators: Sequence[torch.Generator]
) -> torch.Tensor:
    """VAE latents of images in [-1, 1]: (B, 3, H, W) -> (B, 4, H/8, W/8), float32.

    One generator per image (CPU generators: the same seed gives the same latent on any
    device), as diffusers' `prepare_image_latents` with a list of generators.
    """
    with torch.no_grad():
        posterior = vae.encode(images.to(device=vae.device, dtype=vae.dtype)).latent_dist
        latents = posterior.sample(generator=list(generators))
    return latents.float() * vae.config.scaling_factor


def _draw_rolls(generator: torch.Generator, channels: int, sizes: Sequence[int]) -> list[list[int]]:
    """Roll amounts in the reference's draw order: for each channel, one per pyramid level."""
    return [
        [int(torch.randint(size // 2, (1,), generator=generator).item()) for size in sizes]
        for _ in range(channels)
    ]


def _pyramid_sizes(height: int) -> list[int]:
    sizes = [height]
    while sizes[-1] > 8:
        sizes.append(sizes[-1] // 2)
    return sizes


def _rolled(maps: torch.Tensor, shifts: torch.Tensor, dim: int) -> torch.Tensor:
    """`torch.roll` of each map (N, H, W) along `dim` (1 or 2) by its own shift (N,)."""
    size = maps.shape[dim]
    positions = torch.arange(size, device=maps.device)
    index = (positions[None, :] - shifts[:, None]) % size  # (N, size)
    if dim == 1:
        index = index[:, :, None].expand(-1, -1, maps.shape[2])
    else:
        index = index[:, None, :].expand(-1, maps.shape[1], -1)
    return torch.gather(maps, dim, index)


def auto_corr_loss(noise: torch.Tensor, rolls: torch.Tensor) -> torch.Tensor:
    """pix2pix-zero's auto-correlation loss, vectorised over samples and channels.

    noise: (B, C, H, W); rolls: (B*C, levels) integer shifts, one per map and pyramid level
    (the same shift for both axes, as the reference). Sum over maps and levels of
    mean(x * roll(x))**2 along each axis.
    """
    maps = noise.reshape(-1, 1, *noise.shape[2:])  # (B*C, 1, H, W)
    loss = noise.new_zeros(())
    level = 0
    while True:
        flat = maps[:, 0]
        shifts = rolls[:, level]
        for dim in (1, 2):
            correlation = (flat * _rolled(flat, shifts, dim)).mean(dim=(1, 2))  # (B*C,)
            loss = loss + (correlation**2).sum()
        if maps.shape[2] <= 8:
            break
        maps = F.avg_pool2d(maps, kernel_size=2)
        level += 1
    return loss


def kl_loss(noise: torch.Tensor) -> torch.Tensor:
    """Per-sample KL of N(mean, var) to N(0, 1) (the reference's formula), summed; (B,C,H,W)."""
    flat = noise.flatten(1)
    mean = flat.mean(1)
    var = flat.var(1)
    return (var + mean**2 - 1 - torch.log(var + 1e-7)).sum()


def regularize_noise(
    noise_pred: torch.Tensor,
    config: InversionConfig,
    generators: Sequence[torch.Generator],
) -> torch.Tensor:
    """pix2pix-zero's noise regularisation of a predicted noise (B, C, H, W) (epsilon models)."""
    _, channels, height, _ = noise_pred.shape
    sizes = _pyramid_sizes(height)
    noise_pred = noise_pred.detach().to(torch.promote_types(noise_pred.dtype, torch.float32))
    with torch.enable_grad():
        for _ in range(config.num_reg_steps):
            if config.lambda_auto_corr > 0:
                for _ in range(config.num_auto_corr_rolls):
                    rolls = torch.tensor(
                        [row for g in generators for row in _draw_rolls(g, channels, sizes)],
                        device=noise_pred.device,
                    )  # (B*C, levels)
                    var = noise_pred.clone().requires_grad_(True)
                    (grad,) = torch.autograd.grad(auto_corr_loss(var, rolls), var)
                    noise_pred = noise_pred - config.lambda_auto_corr * (
                        grad / config.num_auto_corr_rolls
                    )
            if config.lambda_kl > 0:
                var = noise_pred.clone().requires_grad_(True)
                (grad,) = torch.autograd.grad(kl_loss(var), var)
                noise_pred = noise_pred - config.lambda_kl * grad
    return noise_pred.detach()


def ddim_invert(
    unet: Any,
    latents: torch.Tensor,
    condition: torch.Tensor,
    *,
    scheduler_config: Any,
    config: InversionConfig,
    generators: Sequence[torch.Generator],
    attention: AttentionArithmetic = "fused",
    keep_trajectory: bool = False,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Invert clean latents (B, 4, h, w) up to noise, conditioned on `condition` (B, 77, D).

    Returns the inverted latents (B, 4, h, w), float32, and (if `keep_trajectory`) every
    latent from clean to fully noised (num_steps + 1 tensors): null-text inversion's pivots.
    `generators` are the ones that drew the VAE sample: the regularisation continues them.
    """
    scheduler = inverse_scheduler(scheduler_config, config.num_steps)
    if scheduler.config.prediction_type != "epsilon" and config.num_reg_steps > 0:
        raise ValueError("noise regularisation is implemented for epsilon-prediction models")
    dtype = unet.dtype
    condition = condition.to(device=unet.device, dtype=dtype)
    latents = latents.to(device=unet.device, dtype=torch.float32)
    trajectory = [latents] if keep_trajectory else []
    with attention_processors(unet, plain_processors(unet, attention)), torch.no_grad():
        for timestep in scheduler.timesteps:
            model_input = scheduler.scale_model_input(latents, timestep).to(dtype)
            noise_pred = unet(model_input, timestep, encoder_hidden_states=condition).sample
            noise_pred = noise_pred.float()
            if config.num_reg_steps > 0:
                noise_pred = regularize_noise(noise_pred, config, generators)
            latents = scheduler.step(noise_pred, timestep, latents).prev_sample
            if keep_trajectory:
                trajectory.append(latents)
    return latents, trajectory
