"""InstructPix2Pix at toy size (random weights) saved as a from_pretrained folder, and at
full size (SD 1.4 architecture, random weights) built in memory for GPU benchmarks.

InstructPix2Pix is Stable Diffusion whose UNet takes 8 input channels: the noisy latent (4)
concatenated with the source image's latent (4). Everything else is reused from the tiny SD
configs of `handsoff_core.models.tiny.sd`. The tiny MagicBrush model is the same architecture
built with another seed (MagicBrush is a fine-tune of InstructPix2Pix).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from handsoff_core.models.tiny.common import save_atomically, seeded

logger = logging.getLogger(__name__)

# timbrooks/instruct-pix2pix ships an Euler ancestral scheduler (the original CLI's sampler)
# over SD's training schedule.
IP2P_SCHEDULER_CONFIG: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "steps_offset": 1,
}
MAGICBRUSH_SEED = 1


def build_tiny_ip2p(path: Path, *, seed: int = 0) -> Path:
    """Build the tiny InstructPix2Pix pipeline folder under `path`; deterministic per seed."""
    path = Path(path)
    if (path / "model_index.json").is_file():
        return path
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from handsoff_core.models.tiny.sd import make_tiny_tokenizer, tiny_sd_configs

    configs = tiny_sd_configs()
    configs["unet"]["in_channels"] = 8  # noisy latent + source image latent
    with seeded(seed):
        unet = UNet2DConditionModel(**configs["unet"])
        vae = AutoencoderKL(**configs["vae"])
        text_encoder = CLIPTextModel(CLIPTextConfig(**configs["text_encoder"]))
    pipeline: Any = StableDiffusionInstructPix2PixPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=make_tiny_tokenizer(configs["tokenizer"]),
        unet=unet,
        scheduler=EulerAncestralDiscreteScheduler(**IP2P_SCHEDULER_CONFIG),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    save_atomically(path, pipeline.save_pretrained, marker="model_index.json")
    logger.info("built tiny InstructPix2Pix at %s", path)
    return path


def ip2p_arch_pipeline(
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32, *, seed: int = 0
) -> Any:
    """InstructPix2Pix at SD 1.4's full size with random weights, built on `device` in `dtype`.

    The real compute cost of `timbrooks/instruct-pix2pix` (SD 1.5's UNet, identical in shape
    to 1.4's, with 8 input channels) without a download; the tokenizer is the tiny one (77
    tokens either way, so the text tower costs the same).
    """
    from diffusers import (
        AutoencoderKL,
        EulerAncestralDiscreteScheduler,
        StableDiffusionInstructPix2PixPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    from handsoff_core.models.tiny.sd import make_tiny_tokenizer, sd14_arch_configs

    configs = sd14_arch_configs()
    configs["unet"]["in_channels"] = 8
    tokenizer = make_tiny_tokenizer()
    text_config = dict(configs["text_encoder"])
    text_config.update(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    # Parameters are created on the device directly: a full UNet built on the CPU first
    # costs seconds and 3.4 GB for nothing.
    with seeded(seed), torch.device(device):
        unet: Any = UNet2DConditionModel(**configs["unet"])
        vae: Any = AutoencoderKL(**configs["vae"])
        text_encoder: Any = CLIPTextModel(CLIPTextConfig(**text_config))
    return StableDiffusionInstructPix2PixPipeline(
        vae=vae.to(dtype=dtype).eval().requires_grad_(False),
        text_encoder=text_encoder.to(dtype=dtype).eval().requires_grad_(False),
        tokenizer=tokenizer,
        unet=unet.to(dtype=dtype).eval().requires_grad_(False),
        scheduler=EulerAncestralDiscreteScheduler(**IP2P_SCHEDULER_CONFIG),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
