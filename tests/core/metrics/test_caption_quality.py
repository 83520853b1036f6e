"""Caption quality: BLEU against nltk's formula, embedding cosine against direct model calls."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.metrics import EditToScore, MetricModels, score_edit
from handsoff_core.metrics.caption_quality import caption_bleu, caption_tokens


def test_tokens_are_lowercased_words_and_punctuation() -> None:
    assert caption_tokens("A Cat, wearing a HAT.") == ["a", "cat", ",", "wearing", "a", "hat", "."]


def test_identical_captions_give_bleu_one() -> None:
    assert caption_bleu("a cat wearing a red hat", "A cat wearing a red hat") == pytest.approx(1.0)


def test_bleu_matches_the_formula_by_hand() -> None:
    # hypothesis "a cat on a red sofa" (6 tokens) vs reference "a cat on the red sofa" (6):
    # matches 1-grams 5/6, 2-grams 3/5 (a cat, cat on, red sofa), 3-grams 1/4 (a cat on),
    # 4-grams 0/3 -> smoothed (method1, epsilon 0.1) to 0.1/3; brevity penalty 1.
    precisions = [5 / 6, 3 / 5, 1 / 4, 0.1 / 3]
    expected = math.exp(sum(0.25 * math.log(p) for p in precisions))
    assert caption_bleu("a cat on a red sofa", "a cat on the red sofa") == pytest.approx(
        expected, abs=1e-9
    )


def test_empty_generated_caption_scores_zero() -> None:
    assert caption_bleu("  ", "a dog") == 0.0


def test_caption_cosine_equals_mean_pooled_direct_call(metric_models: MetricModels) -> None:
    generated, gold = ["a dog on the beach", "two dogs in the snow"], "a dog in the snow"
    item = EditToScore(
        "cap", Image.new("RGB", (8, 8)), global_caption=gold, generated_captions=generated
    )
    values = {
        v.metric: v
        for v in score_edit(item, metric_models, metrics=["caption-bleu", "caption-cosine"])
    }
    embedder = metric_models.sentence_embedder()
    assert embedder.tokenizer is not None
    with torch.no_grad():
        tokens = embedder.tokenizer([*generated, gold], padding=True, return_tensors="pt")
        hidden = embedder.model(**tokens).last_hidden_state.double()
        weights = tokens["attention_mask"].unsqueeze(-1).double()
        pooled = ((hidden * weights).sum(1) / weights.sum(1)).numpy()

    def cos(a: np.ndarray, b: np.ndarray) -> float:
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    expected_cosine = (cos(pooled[0], pooled[2]) + cos(pooled[1], pooled[2])) / 2
    assert values["caption-cosine"].value == pytest.approx(expected_cosine, abs=1e-6)
    expected_bleu = (caption_bleu(generated[0], gold) + caption_bleu(generated[1], gold)) / 2
    assert values["caption-bleu"].value == pytest.approx(expected_bleu, abs=1e-12)
    assert values["caption-bleu"].caption_kind == values["caption-cosine"].caption_kind == "global"


def test_identical_captions_give_cosine_one(metric_models: MetricModels) -> None:
    item = EditToScore(
        "same",
        Image.new("RGB", (8, 8)),
        global_caption="a red bus",
        generated_captions=["a red bus"],
    )
    (value,) = score_edit(item, metric_models, metrics=["caption-cosine"])
    assert value.value == pytest.approx(1.0, abs=1e-6)
