"""Caption quality of the rewriter: the generated after-edit caption vs the gold output caption.

The Hands-off paper compares LLMs by BLEU and by the cosine similarity of generated and gold
after-edit captions, without stating the exact settings. Ours (revision 1, see `registry.py`):
- Tokens: lower-cased words and single punctuation marks (`\\w+|[^\\w\\s]`); no nltk data
  files are needed (punkt cannot be downloaded here).
- BLEU: nltk `sentence_bleu`, one reference, BLEU-4 with uniform weights, smoothing
  `method1` (Chen and Cherry 2014: epsilon 0.1 for empty n-gram matches), because captions are
  short and unsmoothed BLEU-4 is 0 for most of them.
- Embedding cosine: a sentence-embedding encoder (profile role `sentence_embedder`, paper:
  `sentence-transformers/all-MiniLM-L6-v2`) through transformers' AutoModel; the sentence
  vector is the attention-mask-weighted mean of the last hidden states (sentence-transformers'
  mean pooling; its final L2 normalisation does not change a cosine); inputs truncated to 256
  tokens (sentence-transformers' max_seq_length for that model) or the model's own limit.
- Several generated captions (n_captions > 1): each is scored against the gold caption and
  the mean is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch

from handsoff_core.metrics.embedding import embed_in_batches, model_device_dtype
from handsoff_core.metrics.models import LoadedModel

_TOKEN = re.compile(r"\w+|[^\w\s]")
SENTENCE_MAX_TOKENS = 256
BLEU_WEIGHTS = (0.25, 0.25, 0.25, 0.25)


def caption_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def caption_bleu(generated: str, gold: str) -> float:
    """Smoothed sentence BLEU-4 of one generated caption against one gold caption."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    hypothesis, reference = caption_tokens(generated), caption_tokens(gold)
    if not hypothesis:
        return 0.0
    score = sentence_bleu(
        [reference],
        hypothesis,
        weights=BLEU_WEIGHTS,
        smoothing_function=SmoothingFunction().method1,
    )
    return float(score)


def sentence_embeddings(
    embedder: LoadedModel, texts: Sequence[str], *, batch_size: int = 64
) -> torch.Tensor:
    """(N, D) mean-pooled sentence embeddings (float32, CPU)."""
    model, tokenizer = embedder.model, embedder.tokenizer
    assert tokenizer is not None, "text models are loaded with their tokenizer"
    device, _dtype = model_device_dtype(model)
    limit = getattr(model.config, "max_position_embeddings", SENTENCE_MAX_TOKENS)
    max_length = min(SENTENCE_MAX_TOKENS, int(limit))

    def embed(chunk: Sequence[str]) -> torch.Tensor:
        tokens = tokenizer(
            list(chunk), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
        ).to(device)
        hidden = model(**tokens).last_hidden_state  # (B, T, D)
        weights = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)  # (B, T, 1)
        summed = (hidden * weights).sum(dim=1)  # (B, D)
        return summed / weights.sum(dim=1).clamp(min=1e-9)

    return embed_in_batches(texts, embed, batch_size)
