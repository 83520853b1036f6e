"""Stable Diffusion 1.4 architectures at toy size (random weights), and at full size.

`build_tiny_sd` saves a folder in diffusers' StableDiffusion layout (model_index.json, unet/,
vae/, text_encoder/, tokenizer/, scheduler/) so the real `from_pretrained` code path loads it.
Its images are noise: the weights are random. Its purpose is to run every line of the editing
code on a CPU in a fraction of a second.

`sd14_arch_components` builds SD 1.4's full-size UNet, VAE and CLIP ViT-L/14 text tower with
random weights in memory: the real compute cost without any download (GPU benchmarks).

`tiny_sd_configs` returns the config dicts, so other tiny builders (InstructPix2Pix) reuse them.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch

logger = logging.getLogger(__name__)

# SD 1.x's noise schedule (CompVis/stable-diffusion-v1-4 scheduler_config.json, DDIM flavour).
SD14_SCHEDULER_CONFIG: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "clip_sample": False,
    "set_alpha_to_one": False,
    "steps_offset": 1,
    "prediction_type": "epsilon",
}

# Words a tiny tokenizer turns into single tokens, so test captions tokenize as words, as
# CLIP's real vocabulary would. Anything else falls back to characters (byte-level BPE).
_CAPTION_TEXT = (
    "a an the of in on with and at to is are photo photography picture image painting "
    "cat dog horse bird man woman person people child boy girl car bus train boat plane "
    "hat cap glasses dress shirt red blue green yellow black white brown orange pink purple "
    "table chair bed sofa room kitchen street road field grass tree trees sky sea beach "
    "snow water mountain city house building window door wall floor flower flowers apple "
    "banana pizza cake bowl plate cup bottle sitting standing walking running holding "
    "wearing next near front top small large big old young two three make it put add "
    "remove change turn into replace let have instead sunny rainy night day"
)

_TINY_TEXT_HIDDEN = 32


def _tiny_clip_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A byte-level BPE vocabulary and merges in CLIP's format, built from `_CAPTION_TEXT`.

    CLIP marks the end of a word with "</w>"; the base vocabulary is the 256 byte symbols
    with and without that marker, then one token per merge, then the two special tokens.
    """
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    symbols = list(bytes_to_unicode().values())
    vocab_list = symbols + [s + "</w>" for s in symbols]
    merges: list[tuple[str, str]] = []
    seen = set(vocab_list)
    for word in _CAPTION_TEXT.split():
        # Merge left to right: "c a t</w>" -> "ca t</w>" -> "cat</w>".
        pieces = [*word[:-1], word[-1] + "</w>"]
        left = pieces[0]
        for right in pieces[1:]:
            merged = left + right
            if merged not in seen:
                merges.append((left, right))
                vocab_list.append(merged)
                seen.add(merged)
            left = merged
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    return {token: index for index, token in enumerate(vocab_list)}, merges


def tiny_sd_configs() -> dict[str, dict[str, Any]]:
    """Config dicts of the tiny SD model: keys unet, vae, text_encoder, tokenizer, scheduler.

    Fresh copies on each call (callers may edit them, e.g. in_channels=8 for InstructPix2Pix).
    The tokenizer entry holds `vocab` (token -> id) and `merges` (list of (left, right) pairs).
    """
    vocab, merges = _tiny_clip_vocab()
    unet = {
        "sample_size": 64,  # 512 px / 8
        "in_channels": 4,
        "out_channels": 4,
        "layers_per_block": 2,
        "block_out_channels": (32, 64),
        "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
        "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
        "cross_attention_dim": _TINY_TEXT_HIDDEN,
        "attention_head_dim": 8,
        "norm_num_groups": 32,
    }
    vae = {
        # Four blocks: 8x downsampling like SD's VAE, so 512 px images give 64x64 latents.
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "block_out_channels": (8, 16, 32, 32),
        "down_block_types": ("DownEncoderBlock2D",) * 4,
        "up_block_types": ("UpDecoderBlock2D",) * 4,
        "layers_per_block": 1,
        "norm_num_groups": 8,
        "sample_size": 512,
        "scaling_factor": 0.18215,
    }
    text_encoder = {
        "vocab_size": len(vocab),
        "hidden_size": _TINY_TEXT_HIDDEN,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "bos_token_id": vocab["<|startoftext|>"],
        "eos_token_id": vocab["<|endoftext|>"],
        "pad_token_id": vocab["<|endoftext|>"],
        "projection_dim": _TINY_TEXT_HIDDEN,
    }
    return copy.deepcopy(
        {
            "unet": unet,
            "vae": vae,
            "text_encoder": text_encoder,
            "tokenizer": {"vocab": vocab, "merges": merges, "model_max_length": 77},
            "scheduler": SD14_SCHEDULER_CONFIG,
        }
    )


def make_tiny_tokenizer(config: dict[str, Any] | None = None) -> Any:
    """A `CLIPTokenizer` from python vocab/merges (transformers 5 style; see ENVIRONMENT.md)."""
    from transformers import CLIPTokenizer

    config = config if config is not None else tiny_sd_configs()["tokenizer"]
    # transformers 5 takes merges as (left, right) pairs, though its hint says strings.
    merges: Any = [(str(left), str(right)) for left, right in config["merges"]]
    return CLIPTokenizer(
        vocab=dict(config["vocab"]),
        merges=merges,
        model_max_length=int(config["model_max_length"]),
    )


def build_tiny_sd(path: Path) -> Path:
    """Build (once) the tiny SD model under `path` and return `path`.

    Deterministic: seeded, so two builds give identical weights. Written to a temporary folder
    first and moved into place, so a half-written model is never seen as present.
    """
    path = Path(path)
    if (path / "model_index.json").is_file():
        return path
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel

    configs = tiny_sd_configs()
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(0)
        unet = UNet2DConditionModel(**configs["unet"])
        vae = AutoencoderKL(**configs["vae"])
        text_encoder = CLIPTextModel(CLIPTextConfig(**configs["text_encoder"]))
    finally:
        torch.random.set_rng_state(generator_state)
    pipeline: Any = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=make_tiny_tokenizer(configs["tokenizer"]),
        unet=unet,
        scheduler=DDIMScheduler(**configs["scheduler"]),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}-", dir=path.parent))
    try:
        pipeline.save_pretrained(staging)
        if (path / "model_index.json").is_file():  # built concurrently by someone else
            return path
        if path.exists():
            shutil.rmtree(path)
        staging.rename(path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    logger.info("built tiny Stable Diffusion at %s", path)
    return path


def sd14_arch_configs() -> dict[str, dict[str, Any]]:
    """Full-size SD 1.4 configs (CompVis/stable-diffusion-v1-4): UNet, VAE, CLIP ViT-L/14 text."""
    unet = {
        "sample_size": 64,
        "in_channels": 4,
        "out_channels": 4,
        "layers_per_block": 2,
        "block_out_channels": (320, 640, 1280, 1280),
        "down_block_types": (
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "CrossAttnDownBlock2D",
            "DownBlock2D",
        ),
        "up_block_types": (
            "UpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
            "CrossAttnUpBlock2D",
        ),
        "cross_attention_dim": 768,
        "attention_head_dim": 8,
        "norm_num_groups": 32,
    }
    vae = {
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": 4,
        "block_out_channels": (128, 256, 512, 512),
        "down_block_types": ("DownEncoderBlock2D",) * 4,
        "up_block_types": ("UpDecoderBlock2D",) * 4,
        "layers_per_block": 2,
        "norm_num_groups": 32,
        "sample_size": 512,
        "scaling_factor": 0.18215,
    }
    text_encoder = {
        "vocab_size": 49408,
        "hidden_size": 768,
        "intermediate_size": 3072,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "bos_token_id": 49406,
        "eos_token_id": 49407,
        "pad_token_id": 1,
        "projection_dim": 768,
    }
    return copy.deepcopy(
        {"unet": unet, "vae": vae, "text_encoder": text_encoder, "scheduler": SD14_SCHEDULER_CONFIG}
    )


def sd14_arch_components(
    device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
) -> dict[str, Any]:
    """SD 1.4-sized components with random weights, built in memory on `device` in `dtype`.

    Returns a dict with keys vae, unet, text_encoder, tokenizer, scheduler (the fields of the
    loader's SDComponents). CLIP's real 49,408-token vocabulary cannot be had offline, so the
    tokenizer is the tiny one: its ids are a subset, and the text tower's cost is unchanged
    (always 77 tokens).
    """
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    configs = sd14_arch_configs()
    tokenizer = make_tiny_tokenizer()
    text_config = dict(configs["text_encoder"])
    text_config["eos_token_id"] = tokenizer.eos_token_id
    text_config["bos_token_id"] = tokenizer.bos_token_id
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(0)
        # Parameters are created directly on the device: a full UNet on CPU first costs
        # seconds and 3.4 GB for nothing.
        # (Typed Any: diffusers' decorated classes confuse mypy.)
        with torch.device(device):
            unet: Any = UNet2DConditionModel(**configs["unet"])
            vae: Any = AutoencoderKL(**configs["vae"])
            text_encoder: Any = CLIPTextModel(CLIPTextConfig(**text_config))
    finally:
        torch.random.set_rng_state(generator_state)
    return {
        "vae": vae.to(dtype=dtype).eval(),
        "unet": unet.to(dtype=dtype).eval(),
        "text_encoder": text_encoder.to(dtype=dtype).eval(),
        "tokenizer": tokenizer,
        "scheduler": DDIMScheduler(**configs["scheduler"]),
    }
