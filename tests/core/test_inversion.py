"""DDIM inversion: equal to diffusers' DDIMInverseScheduler and pix2pix-zero's `invert`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.diffusion.inversion import (
    InversionConfig,
    ddim_invert,
    encode_images,
    images_to_tensor,
    regularize_noise,
)

STEPS = 5


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _image(seed: int, size: int = 64) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def _condition(seed: int, sd: Any) -> torch.Tensor:
    hidden = sd.text_encoder.config.hidden_size
    return torch.randn(1, 77, hidden, generator=torch.Generator().manual_seed(seed))


def _invert(sd: Any, images: list[Image.Image], seeds: list[int], condition: Any, **kw: Any):
    generators = [torch.Generator().manual_seed(seed) for seed in seeds]
    latents = encode_images(sd.vae, images_to_tensor(images), generators)
    config = InversionConfig(num_steps=STEPS, num_reg_steps=kw.pop("num_reg_steps", 0))
    return ddim_invert(
        sd.unet,
        latents,
        condition,
        scheduler_config=sd.scheduler.config,
        config=config,
        generators=generators,
        **kw,
    )


def test_plain_inversion_equals_a_ddim_inverse_scheduler_loop(tiny_sd: Any) -> None:
    from diffusers import DDIMInverseScheduler

    condition = _condition(0, tiny_sd)
    clean = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    inverted, trajectory = ddim_invert(
        tiny_sd.unet,
        clean,
        condition,
        scheduler_config=tiny_sd.scheduler.config,
        config=InversionConfig(num_steps=STEPS, num_reg_steps=0),
        generators=[torch.Generator()],
        attention="reference",
        keep_trajectory=True,
    )
    scheduler = DDIMInverseScheduler.from_config(tiny_sd.scheduler.config)
    scheduler.set_timesteps(STEPS)
    expected = clean.clone()
    from diffusers.models.attention_processor import AttnProcessor

    tiny_sd.unet.set_attn_processor(AttnProcessor())  # explicit bmm, as "reference" arithmetic
    with torch.no_grad():
        for timestep in scheduler.timesteps:
            noise = tiny_sd.unet(expected, timestep, encoder_hidden_states=condition).sample
            expected = scheduler.step(noise, timestep, expected).prev_sample
    assert torch.equal(inverted, expected)
    assert len(trajectory) == STEPS + 1
    assert torch.equal(trajectory[0], clean) and torch.equal(trajectory[-1], inverted)
    assert (inverted - clean).abs().max() > 0.1  # it did move up the noise schedule


def test_inversion_equals_pix2pix_zero_invert(tiny_sd: Any, pix2pix_zero: Any) -> None:
    image, condition = _image(3), _condition(4, tiny_sd)
    for num_reg_steps, tolerance in ((0, 0.0), (2, 1e-4)):
        expected = pix2pix_zero.invert(
            prompt_embeds=condition,
            image=image,
            num_inference_steps=STEPS,
            generator=torch.Generator().manual_seed(7),
            num_reg_steps=num_reg_steps,
            output_type="latent",
        ).latents
        ours, _ = _invert(
            tiny_sd, [image], [7], condition, num_reg_steps=num_reg_steps, attention="reference"
        )
        assert (ours - expected).abs().max().item() <= tolerance, num_reg_steps
        # The pipeline's layout too (the VAE's channels-last): the edit runs on these strides.
        assert ours.stride() == expected.stride() and not ours.is_contiguous()
        fused, _ = _invert(tiny_sd, [image], [7], condition, num_reg_steps=num_reg_steps)
        assert (fused - expected).abs().max().item() < 1e-4


def test_regularisation_is_the_reference_formula(pix2pix_zero: Any) -> None:
    """Vectorised rolls equal pix2pix-zero's per-channel loop (float64: no rounding noise)."""
    noise = torch.randn(1, 4, 32, 32, dtype=torch.float64, generator=torch.Generator())
    config = InversionConfig(num_reg_steps=2, num_auto_corr_rolls=3)
    generator = torch.Generator().manual_seed(5)
    expected = noise.clone()
    for _ in range(config.num_reg_steps):
        for _ in range(config.num_auto_corr_rolls):
            var = expected.detach().clone().requires_grad_(True)
            pix2pix_zero.auto_corr_loss(var, generator=generator).backward()
            assert var.grad is not None
            expected = expected - config.lambda_auto_corr * var.grad / config.num_auto_corr_rolls
        var = expected.detach().clone().requires_grad_(True)
        pix2pix_zero.kl_divergence(var).backward()
        assert var.grad is not None
        expected = expected - config.lambda_kl * var.grad
    ours = regularize_noise(noise, config, [torch.Generator().manual_seed(5)])
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-12)
    assert (ours - noise).abs().max() > 1e-3  # the regularisation did change the noise


def test_a_sample_inverted_in_a_batch_gets_what_it_gets_alone(tiny_sd: Any) -> None:
    images = [_image(10), _image(11)]
    conditions = torch.cat([_condition(12, tiny_sd), _condition(13, tiny_sd)])
    batched, _ = _invert(tiny_sd, images, [1, 2], conditions, num_reg_steps=1)
    for index in range(2):
        alone, _ = _invert(
            tiny_sd, [images[index]], [index + 1], conditions[index : index + 1], num_reg_steps=1
        )
        torch.testing.assert_close(batched[index : index + 1], alone, rtol=0, atol=1e-4)
    assert (batched[0] - batched[1]).abs().max() > 0.1


def test_the_seed_draws_the_vae_sample(tiny_sd: Any) -> None:
    pixels = images_to_tensor([_image(20)])
    first = encode_images(tiny_sd.vae, pixels, [torch.Generator().manual_seed(1)])
    again = encode_images(tiny_sd.vae, pixels, [torch.Generator().manual_seed(1)])
    other = encode_images(tiny_sd.vae, pixels, [torch.Generator().manual_seed(2)])
    assert first.shape == (1, 4, 8, 8)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
