"""CLIP-I and CLIP-T with a CLIP model (MagicBrush: ViT-B/32, `openai/clip-vit-base-patch32`).

MagicBrush (`evaluation/image_eval.py`):
- CLIP-I = cos(E_img(edit), E_img(target)), `model.encode_image` of clip's preprocessing;
- CLIP-T = cos(E_img(edit), E_txt(caption)), `model.encode_text(clip.tokenize(caption))`.
`encode_image` / `encode_text` are the projected embeddings, which transformers exposes as
`get_image_features(...).pooler_output` / `get_text_features(...).pooler_output`.

Whole pipeline checked against the reference with identical weights: an OpenAI `clip`
package CLIP (`clip.model.CLIP`, ViT-B/32 geometry at width 128, random weights, the real
49,408-token vocabulary) converted to transformers' CLIPModel; our preprocessing + model +
tokenizer vs `clip._transform` + `encode_image` / `clip.tokenize` + `encode_text`: image
embeddings agree to 9.5e-7 (norm 8.4), text embeddings to 1.3e-6; CLIP-I and CLIP-T values to
6e-8 and 4e-8 of `1 - scipy.spatial.distance.cosine` on the reference's features.

Where we differ from the reference, and by how much:
- Images: clip's own transform, reproduced bit for bit (`preprocessing.clip_transform`);
  transformers' CLIPProcessor is not used for images (see `preprocessing.py` for its
  measured difference).
- Text: transformers' CLIP tokenizer of the same model instead of `clip.tokenize`. Both
  apply the same BPE to lower-cased, whitespace-collapsed text; on ordinary captions they give
  identical ids (checked on the real 49,408-token vocabulary shipped with the `clip`
  package: 40 MagicBrush-style captions with punctuation, capitals, digits, extra spaces, all
  identical). clip also unescapes HTML entities twice ("&amp;amp;" -> "&"), which we do too
  (`clip_caption_text`), and repairs mojibake with `ftfy.fix_text`, which we do not (ftfy is
  not a dependency): a caption with broken encoding ("Ã©tÃ©") tokenizes differently.
  Padding differs (clip pads with id 0, we pad with the pad token and pass the attention
  mask); CLIP reads the end-of-text position under a causal mask, so padding cannot change
  the embedding.
- Captions longer than 77 tokens: `clip.tokenize` raises; we truncate to 77 (keeping the
  end-of-text token), so one long caption does not fail a whole run.
- dtype: clip keeps CLIP in float16 on CUDA; our default is float32 (see `models.py`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import torch
from PIL import Image

from handsoff_core.metrics.embedding import embed_in_batches, model_device_dtype
from handsoff_core.metrics.models import LoadedModel
from handsoff_core.metrics.preprocessing import clip_transform

# CLIP's text context: 77 tokens including start and end markers.
CLIP_CONTEXT_LENGTH = 77


def _features(output: object) -> torch.Tensor:
    """transformers 5 returns an output object (projection in pooler_output); 4.x a tensor."""
    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if not isinstance(pooled, torch.Tensor):
        raise TypeError(f"unexpected CLIP feature output {type(output).__name__}")
    return pooled


def clip_image_embeddings(
    clip: LoadedModel, images: Sequence[Image.Image], *, batch_size: int = 32
) -> torch.Tensor:
    """(N, D) projected CLIP image embeddings (float32, CPU) of any-mode PIL images."""
    model = clip.model
    device, dtype = model_device_dtype(model)
    transform = clip_transform(int(model.config.vision_config.image_size))

    def embed(chunk: Sequence[Image.Image]) -> torch.Tensor:
        pixel_values = transform.batch(chunk).to(device=device, dtype=dtype)  # (B, 3, 224, 224)
        return _features(model.get_image_features(pixel_values=pixel_values))  # (B, D)

    return embed_in_batches(images, embed, batch_size)


def clip_caption_text(caption: str) -> str:
    """clip's `basic_clean` without ftfy: HTML entities unescaped twice, outer space stripped."""
    return html.unescape(html.unescape(caption)).strip()


def clip_text_embeddings(
    clip: LoadedModel, texts: Sequence[str], *, batch_size: int = 64
) -> torch.Tensor:
    """(N, D) projected CLIP text embeddings (float32, CPU); texts truncated to 77 tokens."""
    model, tokenizer = clip.model, clip.tokenizer
    assert tokenizer is not None, "text models are loaded with their tokenizer"
    device, _dtype = model_device_dtype(model)
    max_length = min(CLIP_CONTEXT_LENGTH, int(model.config.text_config.max_position_embeddings))

    def embed(chunk: Sequence[str]) -> torch.Tensor:
        tokens = tokenizer(
            [clip_caption_text(text) for text in chunk],
            padding=True,
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        ).to(device)
        return _features(
            model.get_text_features(
                input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
            )
        )

    return embed_in_batches(texts, embed, batch_size)
