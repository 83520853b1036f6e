"""DINO image embeddings (MagicBrush: ViT-S/16, `facebook/dino-vits16`).

MagicBrush loads `torch.hub.load('facebookresearch/dino:main', 'dino_vits16')`, whose forward
returns the CLS token of the final (layer-normed) sequence, after its own transform: Resize
256 bicubic, CenterCrop 224, ImageNet normalisation (`preprocessing.DINO_TRANSFORM`, bit-for-bit
torchvision's). transformers' `ViTModel` port ends with the same final layer norm, so the CLS
token is `last_hidden_state[:, 0]`. DINO score = cosine of the edit's and the target's CLS
embeddings.

Checked against DINO's own `VisionTransformer` forward (facebookresearch/dino, ViT-S/16
geometry at width 64, random weights copied into a ViTModel): CLS embeddings agree to 7e-7
(norm 8) with DINO's LayerNorm eps of 1e-6. A ViTModel config with transformers' default eps
(1e-12) instead moves them by up to 7e-4 on that model (cosine to the reference still 1 to
9 decimals); our tiny DINO uses 1e-6, real checkpoints bring their own config.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from PIL import Image

from handsoff_core.metrics.embedding import embed_in_batches, model_device_dtype
from handsoff_core.metrics.models import LoadedModel
from handsoff_core.metrics.preprocessing import DINO_TRANSFORM


def dino_embeddings(
    dino: LoadedModel, images: Sequence[Image.Image], *, batch_size: int = 32
) -> torch.Tensor:
    """(N, D) DINO CLS embeddings (float32, CPU) of any-mode PIL images."""
    model = dino.model
    device, dtype = model_device_dtype(model)

    def embed(chunk: Sequence[Image.Image]) -> torch.Tensor:
        pixel_values = DINO_TRANSFORM.batch(chunk).to(device=device, dtype=dtype)  # (B,3,224,224)
        hidden = model(pixel_values=pixel_values).last_hidden_state  # (B, 1 + 196, D)
        return hidden[:, 0]

    return embed_in_batches(images, embed, batch_size)
