"""Null-text inversion (Mokady et al. 2023), the paper's named future work (docs/method.md s1).

DDIM inversion with the conditional embedding (scale 1) gives a pivot trajectory z_0..z_T.
Going down from z_T, at each step i the unconditional embedding is optimised with Adam
(lr = learning_rate * (1 - i / 100)) for up to `inner_steps` steps, so that the guided DDIM
step from the current latent lands on the pivot z_{t-1}:

    loss = MSE(step(eps_u + g * (eps_c - eps_u), t, z_cur), z_pivot)

stopping early when the loss falls below epsilon + i * 2e-5 (the authors' code). The embedding
of each step is kept; editing then uses them in place of the unconditional (negative)
embedding. The guided step with the optimised embedding gives the next current latent.

Each sample is optimised on its own (its early stopping is its own); cost is about
`inner_steps` UNet forward+backward passes per step, some 30x a plain inversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from handsoff_core.diffusion.attention import (
    AttentionArithmetic,
    attention_processors,
    plain_processors,
)
from handsoff_core.diffusion.pix2pix_zero import denoising_scheduler, no_weight_gradients


@dataclass(frozen=True)
class NullTextConfig:
    inner_steps: int = 10  # Adam steps per diffusion step (authors' code)
    learning_rate: float = 1e-2  # decays linearly: lr * (1 - i / 100)
    epsilon: float = 1e-5  # early stop when loss < epsilon + i * 2e-5


def null_text_optimization(
    unet: Any,
    pivots: list[torch.Tensor],
    condition: torch.Tensor,
    unconditional: torch.Tensor,
    *,
    scheduler_config: Any,
    guidance_scale: float,
    config: NullTextConfig,
    attention: AttentionArithmetic = "fused",
) -> list[torch.Tensor]:
    """Per-step unconditional embeddings: num_steps tensors of (B, 77, D), float32.

    pivots: the inversion trajectory from clean to noised, num_steps + 1 tensors (B, 4, h, w);
    condition: (B, 77, D) (the before caption); unconditional: (B, 77, D), usually E("").
    The number of steps is len(pivots) - 1 and must match the edit's.
    """
    num_steps = len(pivots) - 1
    per_sample = [
        _optimize_one(
            unet,
            [pivot[index : index + 1] for pivot in pivots],
            condition[index : index + 1],
            unconditional[index : index + 1],
            scheduler_config=scheduler_config,
            num_steps=num_steps,
            guidance_scale=guidance_scale,
            config=config,
            attention=attention,
        )
        for index in range(condition.shape[0])
    ]
    return [torch.cat([steps[i] for steps in per_sample]) for i in range(num_steps)]


def _optimize_one(
    unet: Any,
    pivots: list[torch.Tensor],
    condition: torch.Tensor,
    unconditional: torch.Tensor,
    *,
    scheduler_config: Any,
    num_steps: int,
    guidance_scale: float,
    config: NullTextConfig,
    attention: AttentionArithmetic,
) -> list[torch.Tensor]:
    dtype, device = unet.dtype, unet.device
    scheduler = denoising_scheduler(scheduler_config, num_steps)
    condition = condition.to(device=device, dtype=dtype)
    embedding = unconditional.to(device=device, dtype=torch.float32)
    latent = pivots[-1].to(device=device, dtype=torch.float32)
    embeddings: list[torch.Tensor] = []
    with attention_processors(unet, plain_processors(unet, attention)), no_weight_gradients(unet):
        for i, timestep in enumerate(scheduler.timesteps):
            target = pivots[num_steps - i - 1].to(device=device, dtype=torch.float32)
            embedding = embedding.detach().clone().requires_grad_(True)
            optimizer = torch.optim.Adam([embedding], lr=config.learning_rate * (1.0 - i / 100.0))
            model_input = latent.to(dtype)
            with torch.no_grad():
                noise_conditional = unet(
                    model_input, timestep, encoder_hidden_states=condition
                ).sample.float()
            for _ in range(config.inner_steps):
                with torch.enable_grad():
                    noise_unconditional = unet(
                        model_input, timestep, encoder_hidden_states=embedding.to(dtype)
                    ).sample.float()
                    noise = noise_unconditional + guidance_scale * (
                        noise_conditional - noise_unconditional
                    )
                    previous = scheduler.step(noise, timestep, latent).prev_sample
                    loss = torch.nn.functional.mse_loss(previous, target)
                    optimizer.zero_grad()
                    loss.backward()
                optimizer.step()
                if loss.item() < config.epsilon + i * 2e-5:
                    break
            embedding = embedding.detach()
            embeddings.append(embedding)
            with torch.no_grad():
                noise_unconditional = unet(
                    model_input, timestep, encoder_hidden_states=embedding.to(dtype)
                ).sample.float()
                noise = noise_unconditional + guidance_scale * (
                    noise_conditional - noise_unconditional
                )
                latent = scheduler.step(noise, timestep, latent).prev_sample
    return embeddings
