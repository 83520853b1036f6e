"""Invert and edit a batch of same-size images with one set of settings.

The steps the Hands-off method runs after its captions are known, batched over samples:
1. VAE-encode the working-size images (one seeded CPU generator per sample);
2. DDIM-invert them conditioned on the source caption (optionally null-text optimisation);
3. pix2pix-zero edit under k conditions per sample (k > 1 for weight sweeps);
4. decode to images in [0, 1].
Inversion results serialise to bytes, so the method can keep them in the stage cache.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from handsoff_core.diffusion.direction import encode_prompts
from handsoff_core.diffusion.inversion import (
    InversionConfig,
    ddim_invert,
    encode_images,
    images_to_tensor,
)
from handsoff_core.diffusion.null_text import NullTextConfig, null_text_optimization
from handsoff_core.diffusion.pix2pix_zero import EditConfig, decode_latents, pix2pix_zero_edit


@dataclass(frozen=True)
class EditingSettings:
    inversion: InversionConfig
    edit: EditConfig
    null_text: NullTextConfig | None = None  # None: plain (regularised) DDIM inversion
    null_text_guidance_scale: float = 0.0  # 0: optimise at the edit's guidance scale

    def inversion_key_parts(self) -> dict[str, Any]:
        """Everything that changes an inversion (the edit's settings do not, except the
        guidance scale null-text optimises for)."""
        parts: dict[str, Any] = {"inversion": asdict(self.inversion), "null_text": None}
        if self.null_text is not None:
            parts["null_text"] = {
                **asdict(self.null_text),
                "guidance_scale": self.null_guidance_scale,
                "num_steps": self.edit.num_steps,
                "attention": self.edit.attention,
            }
        parts["attention"] = self.edit.attention
        return parts

    @classmethod
    def from_params(cls, params: Any) -> EditingSettings:
        """From a Hands-off method config's parameters (see HandsoffMethod.default_params)."""
        return cls(
            inversion=InversionConfig(
                num_steps=int(params["num_inversion_steps"]),
                lambda_auto_corr=float(params["lambda_auto_corr"]),
                lambda_kl=float(params["lambda_kl"]),
                num_reg_steps=int(params["num_reg_steps"]),
                num_auto_corr_rolls=int(params["num_auto_corr_rolls"]),
            ),
            edit=EditConfig(
                num_steps=int(params["num_edit_steps"]),
                guidance_scale=float(params["guidance_scale"]),
                cross_attention_guidance=float(params["cross_attention_guidance"]),
                attention=params["attention"],
                share_reference_copies=bool(params["share_reference_copies"]),
            ),
            null_text=(
                NullTextConfig(inner_steps=int(params["null_text_inner_steps"]))
                if params["null_text"]
                else None
            ),
            null_text_guidance_scale=float(params["null_text_guidance_scale"]),
        )

    @property
    def null_guidance_scale(self) -> float:
        return self.null_text_guidance_scale or self.edit.guidance_scale


@dataclass
class Inverted:
    """One sample's inversion: latents (1, 4, h, w); null-text embeddings (steps, 77, D)."""

    latents: torch.Tensor
    null_embeddings: torch.Tensor | None = None

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        payload = {"latents": self.latents.detach().cpu()}
        if self.null_embeddings is not None:
            payload["null_embeddings"] = self.null_embeddings.detach().cpu()
        torch.save(payload, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Inverted:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        return cls(latents=payload["latents"], null_embeddings=payload.get("null_embeddings"))


def invert_images(
    sd: Any,
    images: Sequence[Any],
    seeds: Sequence[int],
    source_condition: torch.Tensor,
    settings: EditingSettings,
) -> list[Inverted]:
    """Invert RGB images of one working size; source_condition: (B, 77, D) = E(c_b).

    Each sample's generator (seeded with its seed) draws its VAE sample and then its
    regularisation rolls, as diffusers' pipeline does with one generator per call.
    """
    generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
    latents = encode_images(sd.vae, images_to_tensor(images), generators)  # (B, 4, h, w)
    inverted, trajectory = ddim_invert(
        sd.unet,
        latents,
        source_condition,
        scheduler_config=sd.scheduler.config,
        config=settings.inversion,
        generators=generators,
        attention=settings.edit.attention,
        keep_trajectory=settings.null_text is not None,
    )
    if settings.null_text is None:
        return [Inverted(latents=inverted[i : i + 1].cpu()) for i in range(len(images))]
    if settings.inversion.num_steps != settings.edit.num_steps:
        raise ValueError("null-text inversion needs as many inversion steps as edit steps")
    empty = encode_prompts(sd.tokenizer, sd.text_encoder, [""])  # (1, 77, D)
    per_step = null_text_optimization(
        sd.unet,
        trajectory,
        source_condition,
        empty.expand(len(images), -1, -1),
        scheduler_config=sd.scheduler.config,
        guidance_scale=settings.null_guidance_scale,
        config=settings.null_text,
        attention=settings.edit.attention,
    )  # num_steps x (B, 77, D)
    stacked = torch.stack(per_step, dim=1).cpu()  # (B, steps, 77, D)
    return [
        Inverted(latents=inverted[i : i + 1].cpu(), null_embeddings=stacked[i])
        for i in range(len(images))
    ]


def edit_inverted(
    sd: Any,
    inverted: Sequence[Inverted],
    source_condition: torch.Tensor,
    edit_conditions: torch.Tensor,
    settings: EditingSettings,
    *,
    with_reconstruction: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Edited images (B, k, 3, H, W) in [0, 1] on the CPU, and the reconstructions
    (B, 3, H, W) if asked for. edit_conditions: (B, k, 77, D)."""
    latents = torch.cat([item.latents for item in inverted])
    negative_per_step = None
    if settings.null_text is not None:
        null = [item.null_embeddings for item in inverted]
        if any(embedding is None for embedding in null):
            raise ValueError("null-text editing needs every sample's null-text embeddings")
        stacked = torch.stack([e for e in null if e is not None])  # (B, steps, 77, D)
        negative_per_step = list(stacked.unbind(dim=1))
    result = pix2pix_zero_edit(
        sd.unet,
        latents,
        source_condition,
        edit_conditions,
        scheduler_config=sd.scheduler.config,
        config=settings.edit,
        negative_per_step=negative_per_step,
        with_reconstruction=with_reconstruction,
    )
    batch, weights = result.edited.shape[:2]
    images = decode_latents(sd.vae, result.edited.flatten(0, 1))
    reconstruction = None
    if result.reconstruction is not None:
        reconstruction = decode_latents(sd.vae, result.reconstruction)
    return images.view(batch, weights, *images.shape[1:]), reconstruction


def invert_cached(
    sd: Any,
    images: Sequence[Any],
    seeds: Sequence[int],
    source_captions: Sequence[str],
    source_condition: torch.Tensor,
    settings: EditingSettings,
    *,
    cache: Any = None,
) -> tuple[list[Inverted], int]:
    """`invert_images` through the stage cache (kind "latents"); returns (inversions, hits).

    Key: diffusion model id and revision, the working-size image's sha256, the source
    caption, every inversion parameter, and the seed (it draws the VAE sample and the rolls).
    """
    from handsoff_core.cache import cache_key, image_sha256

    keys = [
        cache_key(
            stage="latents",
            model=getattr(sd, "model_id", ""),
            revision=getattr(sd, "revision", None),
            image=image_sha256(image),
            source_caption=caption,
            settings=settings.inversion_key_parts(),
            seed=int(seed),
        )
        for image, caption, seed in zip(images, source_captions, seeds, strict=True)
    ]
    found: list[Inverted | None] = [None] * len(images)
    if cache is not None:
        for index, key in enumerate(keys):
            hit = cache.get("latents", key)
            if hit is not None:
                found[index] = Inverted.from_bytes(hit)
    missing = [index for index, item in enumerate(found) if item is None]
    if missing:
        computed = invert_images(
            sd,
            [images[i] for i in missing],
            [seeds[i] for i in missing],
            source_condition[missing],
            settings,
        )
        for index, item in zip(missing, computed, strict=True):
            found[index] = item
            if cache is not None:
                cache.put("latents", keys[index], item.to_bytes())
    return [item for item in found if item is not None], len(images) - len(missing)


def to_pil(image: torch.Tensor) -> Any:
    """(3, H, W) in [0, 1] -> RGB PIL image (rounded as diffusers' `numpy_to_pil`)."""
    from PIL import Image

    array = (image.permute(1, 2, 0).numpy() * 255).round().astype("uint8")
    return Image.fromarray(array).convert("RGB")
