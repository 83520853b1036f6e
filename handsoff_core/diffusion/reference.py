"""diffusers' `StableDiffusionPix2PixZeroPipeline` on our models: the reference our inversion
and edit are compared with (tests) and timed against (`handsoff bench edit`).

The pipeline shares the models it is given (nothing is copied) and runs them as diffusers
does: DDIM for the edit, DDIM-inverse for `invert`, both on the model's own schedule; no
safety checker, no captioner (captions and embeddings come from the caller), no progress bar.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


def _pipeline(sd: Any) -> Any:
    from diffusers import DDIMInverseScheduler, DDIMScheduler, StableDiffusionPix2PixZeroPipeline

    pipeline: Any = StableDiffusionPix2PixZeroPipeline(
        vae=sd.vae,
        text_encoder=sd.text_encoder,
        tokenizer=sd.tokenizer,
        unet=sd.unet,
        scheduler=DDIMScheduler.from_config(sd.scheduler.config),
        feature_extractor=None,
        safety_checker=None,
        inverse_scheduler=DDIMInverseScheduler.from_config(sd.scheduler.config),
        caption_generator=None,
        caption_processor=None,
        requires_safety_checker=False,
    )
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


@contextlib.contextmanager
def pix2pix_zero_reference(sd: Any) -> Iterator[Any]:
    """The pipeline on the VAE, text encoder, tokenizer and UNet of `sd` (`SDComponents`).

    Running the pipeline rewires the UNet (`prepare_unet`: its own attention processors,
    gradients on cross-attention weights); afterwards the UNet has its processors and
    `requires_grad` flags back, as other methods share it.
    """
    unet = sd.unet
    processors = dict(unet.attn_processors)
    flags = [(parameter, parameter.requires_grad) for parameter in unet.parameters()]
    try:
        yield _pipeline(sd)
    finally:
        unet.set_attn_processor(processors)
        for parameter, flag in flags:
            parameter.requires_grad_(flag)
