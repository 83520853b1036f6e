"""The metric models at toy size (random weights), each saved as a from_pretrained folder.

- CLIP shaped like ViT-B/32 (`openai/clip-vit-base-patch32`): 224 px input, 32 px patches,
  77-token text context, CLIP's byte-level BPE tokenizer (a small vocabulary of caption words);
  only widths and depths are tiny.
- DINO ViT shaped like ViT-S/16 (`facebook/dino-vits16`): 224 px input, 16 px patches, a
  `ViTModel` without pooler (DINO's checkpoints have none).
- A sentence embedder shaped like `sentence-transformers/all-MiniLM-L6-v2`: a BertModel with
  a WordPiece tokenizer over caption words.
Their scores mean nothing (random weights); they exist so every line of the metric code runs
through the real `from_pretrained` path on a CPU, in milliseconds per image.
Deterministic: seeded, so two builds give identical files (and identical metric versions).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from handsoff_core.models.tiny.common import save_atomically, seeded

logger = logging.getLogger(__name__)

_WIDTH = 32  # hidden size of every tiny tower
_DEPTH = 2  # transformer layers per tower
_HEADS = 4
_MLP = 37  # odd on purpose: catches code that assumes intermediate = 4 * hidden
_PROJECTION = 16  # CLIP's joint embedding size (ViT-B/32: 512)
_SENTENCE_MAX_TOKENS = 128

# Caption words for the tiny WordPiece vocabulary; other words fall back to letters.
_SENTENCE_WORDS = (
    "a an the of in on with and at to is are photo picture image painting cat dog horse bird "
    "man woman person people child boy girl car bus train boat plane hat cap glasses dress "
    "shirt red blue green yellow black white brown orange pink purple table chair bed sofa "
    "room kitchen street road field grass tree sky sea beach snow water mountain city house "
    "window door wall flower apple banana pizza cake bowl plate cup bottle sitting standing "
    "walking running holding wearing next near front top small large big old young two three"
)
_SENTENCE_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def _image_processor(model_type: str, **kwargs: Any) -> Any:
    """The PIL image processor (transformers 5 warns when the default one lacks torchvision)."""
    import transformers

    name = {"clip": "CLIPImageProcessor", "vit": "ViTImageProcessor"}[model_type]
    cls = getattr(transformers, f"{name}Pil", None) or getattr(transformers, name)
    return cls(**kwargs)


def build_tiny_clip(path: Path, *, seed: int = 0) -> Path:
    """Tiny CLIPModel + CLIPProcessor (CLIP tokenizer, CLIP image processor) under `path`."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor

    # The same tiny CLIP BPE vocabulary as the tiny SD text encoder (caption words merged).
    from handsoff_core.models.tiny.sd import make_tiny_tokenizer, tiny_sd_configs

    tokenizer_config = tiny_sd_configs()["tokenizer"]
    vocab = tokenizer_config["vocab"]
    text_config = {
        "vocab_size": len(vocab),
        "hidden_size": _WIDTH,
        "intermediate_size": _MLP,
        "num_hidden_layers": _DEPTH,
        "num_attention_heads": _HEADS,
        "max_position_embeddings": 77,
        "hidden_act": "quick_gelu",
        "bos_token_id": vocab["<|startoftext|>"],
        "eos_token_id": vocab["<|endoftext|>"],
        "pad_token_id": vocab["<|endoftext|>"],
    }
    vision_config = {
        "image_size": 224,
        "patch_size": 32,
        "hidden_size": _WIDTH,
        "intermediate_size": _MLP,
        "num_hidden_layers": _DEPTH,
        "num_attention_heads": _HEADS,
        "hidden_act": "quick_gelu",
    }
    config = CLIPConfig(
        text_config=text_config, vision_config=vision_config, projection_dim=_PROJECTION
    )
    with seeded(seed):
        model = CLIPModel(config).eval()
    processor = CLIPProcessor(
        image_processor=_image_processor("clip"), tokenizer=make_tiny_tokenizer(tokenizer_config)
    )

    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        processor.save_pretrained(staging)

    save_atomically(path, write, marker="config.json")
    logger.info("built tiny CLIP (ViT-B/32 shape) at %s", path)
    return path


def build_tiny_dino(path: Path, *, seed: int = 0) -> Path:
    """Tiny DINO-style ViTModel (16 px patches, no pooler) under `path`."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    from transformers import ViTConfig, ViTModel

    config = ViTConfig(
        image_size=224,
        patch_size=16,
        hidden_size=_WIDTH,
        intermediate_size=_MLP,
        num_hidden_layers=_DEPTH,
        num_attention_heads=_HEADS,
        qkv_bias=True,
        layer_norm_eps=1e-6,  # DINO's ViTs use 1e-6
    )
    with seeded(seed):
        model = ViTModel(config, add_pooling_layer=False).eval()
    # The hub checkpoint ships an image processor; ours mirrors that layout. The metrics do
    # not use it: they apply MagicBrush's own DINO transform (metrics/preprocessing.py).
    image_processor = _image_processor(
        "vit",
        size={"height": 224, "width": 224},
        image_mean=[0.485, 0.456, 0.406],
        image_std=[0.229, 0.224, 0.225],
    )

    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        image_processor.save_pretrained(staging)

    save_atomically(path, write, marker="config.json")
    logger.info("built tiny DINO ViT at %s", path)
    return path


def tiny_sentence_vocab() -> dict[str, int]:
    """WordPiece vocabulary: specials, caption words, then letters and "##" continuations."""
    letters = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-"
    tokens = [
        *_SENTENCE_SPECIALS,
        *dict.fromkeys(_SENTENCE_WORDS.split()),
        *letters,
        *(f"##{c}" for c in letters),
    ]
    return {token: index for index, token in enumerate(dict.fromkeys(tokens))}


def build_tiny_sentence_embedder(path: Path, *, seed: int = 0) -> Path:
    """Tiny BertModel + BertTokenizer (all-MiniLM-L6-v2 layout) under `path`."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    from transformers import BertConfig, BertModel, BertTokenizer

    vocab = tiny_sentence_vocab()
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=_WIDTH,
        intermediate_size=_MLP,
        num_hidden_layers=_DEPTH,
        num_attention_heads=_HEADS,
        max_position_embeddings=_SENTENCE_MAX_TOKENS,
        pad_token_id=vocab["[PAD]"],
    )
    with seeded(seed):
        model = BertModel(config).eval()
    tokenizer = BertTokenizer(vocab=vocab, model_max_length=_SENTENCE_MAX_TOKENS)

    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)

    save_atomically(path, write, marker="config.json")
    logger.info("built tiny sentence embedder at %s", path)
    return path


__all__ = [
    "build_tiny_clip",
    "build_tiny_dino",
    "build_tiny_sentence_embedder",
    "tiny_sentence_vocab",
]
