"""A BLIP captioner at toy size (random weights), saved as a from_pretrained folder.

Same classes as `Salesforce/blip-image-captioning-base`: BlipForConditionalGeneration and a
BlipProcessor (image processor + BERT tokenizer whose "[DEC]" token starts a caption). Its
captions are random words: the weights are random. It exists so the captioning code runs
for real on a CPU.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from handsoff_core.models.tiny.common import save_atomically, seeded

logger = logging.getLogger(__name__)

# Caption-like words, so a random model still writes words (real BLIP uses BERT's 30k vocab).
_WORDS = (
    "a an the of in on with and at is are photo photography picture painting cat dog horse "
    "bird man woman person people child car bus train boat hat glasses dress shirt red blue "
    "green yellow black white table chair bed room kitchen street road field grass tree sky "
    "sea beach snow water mountain city house window door flower apple pizza cake cup "
    "sitting standing walking holding wearing next to near front top small large old young "
    "two three"
)
_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]")
IMAGE_SIZE = 32  # the vision tower's input (real BLIP base: 384)


def tiny_blip_vocab() -> dict[str, int]:
    tokens = [*_SPECIALS, *dict.fromkeys(_WORDS.split())]
    return {token: index for index, token in enumerate(tokens)}


def tiny_blip_config(vocab: dict[str, int]) -> Any:
    from transformers import BlipConfig

    # The text config must carry the vocab's ids: generation starts from bos ("[DEC]"), stops
    # at sep and pads with pad; BLIP's defaults (30522-token BERT ids) break a tiny vocab.
    text_config = {
        "vocab_size": len(vocab),
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "encoder_hidden_size": 32,
        "max_position_embeddings": 512,  # as BLIP base: room for the default 128 new tokens
        "bos_token_id": vocab["[DEC]"],
        "sep_token_id": vocab["[SEP]"],
        "eos_token_id": vocab["[SEP]"],
        "pad_token_id": vocab["[PAD]"],
    }
    vision_config = {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "image_size": IMAGE_SIZE,
        "patch_size": 8,
    }
    return BlipConfig(text_config=text_config, vision_config=vision_config, projection_dim=32)


def build_tiny_blip(path: Path, *, seed: int = 0) -> Path:
    """Build the tiny BLIP captioner (model + processor) under `path`; deterministic per seed."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    from transformers import (
        BertTokenizer,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    vocab = tiny_blip_vocab()
    with seeded(seed):
        model = BlipForConditionalGeneration(tiny_blip_config(vocab)).eval()
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]", model_max_length=512)
    image_processor = BlipImageProcessor(size={"height": IMAGE_SIZE, "width": IMAGE_SIZE})
    processor = BlipProcessor(image_processor=image_processor, tokenizer=tokenizer)

    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        processor.save_pretrained(staging)

    save_atomically(path, write, marker="config.json")
    logger.info("built tiny BLIP captioner at %s", path)
    return path


__all__ = ["IMAGE_SIZE", "build_tiny_blip", "tiny_blip_config", "tiny_blip_vocab"]
