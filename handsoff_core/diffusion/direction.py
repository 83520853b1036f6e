"""Text embeddings and the edit direction (docs/method.md s1, step 3).

Captions are encoded with the diffusion model's own CLIP text encoder, padded (and truncated)
to the tokenizer's 77 tokens, and the last hidden state is kept: per-token embeddings
E(c) of shape (1, 77, D) (D = 768 for SD 1.x). With several captions per side each side is
averaged, and the direction is

    delta = w * (mean E(c_after) - mean E(c_before))

exactly as pix2pix-zero's `construct_direction` (mean over the sentences of each side).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def encode_prompts(
    tokenizer: Any,
    text_encoder: Any,
    prompts: Sequence[str],
    *,
    batch_size: int = 16,
) -> torch.Tensor:
    """Per-token embeddings of each prompt: (len(prompts), 77, D), float32.

    As pix2pix-zero's `get_embeds`: `padding="max_length"`, truncation to the tokenizer's
    `model_max_length`, `text_encoder(input_ids)[0]` (no attention mask: CLIP attends
    causally over the padding).
    """
    device = next(text_encoder.parameters()).device
    embeddings = []
    for start in range(0, len(prompts), batch_size):
        input_ids = tokenizer(
            list(prompts[start : start + batch_size]),
            padding="max_length",
            max_length=tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids.to(device)
        with torch.no_grad():
            embeddings.append(text_encoder(input_ids)[0].float())  # (b, 77, D)
    return torch.cat(embeddings, dim=0)


def mean_embedding(tokenizer: Any, text_encoder: Any, captions: Sequence[str]) -> torch.Tensor:
    """The mean of the captions' embeddings: (1, 77, D). At least one caption is required."""
    if not captions:
        raise ValueError("mean_embedding needs at least one caption")
    return encode_prompts(tokenizer, text_encoder, captions).mean(0, keepdim=True)


def edit_direction(
    before_embedding: torch.Tensor, after_embedding: torch.Tensor, weight: float
) -> torch.Tensor:
    """delta = w * (E_after - E_before), both (1, 77, D) means over captions."""
    return weight * (after_embedding - before_embedding)


def count_tokens(tokenizer: Any, text: str) -> int:
    """Tokens of `text` including the begin/end tokens (no truncation), to check the 77 limit."""
    return len(tokenizer(text, truncation=False).input_ids)
