"""A chat LLM at toy size (random weights), saved as a from_pretrained folder.

Same class family as `mistralai/Mistral-7B-Instruct-v0.2` (MistralForCausalLM) with a fast
tokenizer carrying Mistral's chat template. The vocabulary holds the words of the rewrite
prompt and answer format ("Before", "transformation", "Caption", ...), so its output is word
soup in that vocabulary: it will almost never be parseable, and the rewriter treats it as the
honest failure it is.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from handsoff_core.models.tiny.common import save_atomically, seeded

logger = logging.getLogger(__name__)

# Mistral-7B-Instruct-v0.2's chat format: "<s>[INST] user [/INST] answer</s>".
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}[INST] {{ message['content'] }} [/INST]"
    "{% elif message['role'] == 'system' %}{{ message['content'] }}\n\n"
    "{% else %}{{ message['content'] }}{{ eos_token }}{% endif %}{% endfor %}"
)

_WORDS = (
    "Before After transformation Caption caption captions image photo picture of a an the "
    "in on with and to is are it that this you write give one two three four five 1 2 3 4 5 "
    "( ) : , . - ' cat dog horse bird man woman person car hat glasses red blue green yellow "
    "black white table chair room street field grass tree sky sea beach snow water mountain "
    "city house flower apple pizza cake sitting standing holding wearing make put add remove "
    "change turn into replace instead"
)
_SPECIALS = ("<unk>", "<s>", "</s>", "[INST]", "[/INST]")


def tiny_llm_vocab() -> dict[str, int]:
    tokens = [*_SPECIALS, *dict.fromkeys(_WORDS.split())]
    return {token: index for index, token in enumerate(tokens)}


def make_tiny_llm_tokenizer() -> Any:
    """A word-level fast tokenizer (unknown words -> <unk>) with Mistral's chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = tiny_llm_vocab()
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.decoder = decoders.WordPiece(prefix="##", cleanup=True)  # joins words with spaces
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="</s>",
        additional_special_tokens=["[INST]", "[/INST]"],
        model_max_length=2048,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_llm(path: Path, *, seed: int = 0) -> Path:
    """Build the tiny chat LLM (MistralForCausalLM + tokenizer) under `path`."""
    path = Path(path)
    if (path / "config.json").is_file():
        return path
    from transformers import GenerationConfig, MistralConfig, MistralForCausalLM

    tokenizer = make_tiny_llm_tokenizer()
    config = MistralConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    with seeded(seed):
        model = MistralForCausalLM(config).eval()
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )

    def write(staging: Path) -> None:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)

    save_atomically(path, write, marker="config.json")
    logger.info("built tiny chat LLM at %s", path)
    return path
