"""The paper profile's metric models with real weights: run where they are cached, else skip."""

from __future__ import annotations

import pytest
from PIL import Image

from handsoff_core.errors import ModelUnavailable
from handsoff_core.metrics import EditToScore, MetricModels, score_edit

PAPER_CLIP = "openai/clip-vit-base-patch32"
PAPER_DINO = "facebook/dino-vits16"
PAPER_EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def paper_models() -> MetricModels:
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    models = MetricModels(
        clip_id=PAPER_CLIP,
        dino_id=PAPER_DINO,
        sentence_embedder_id=PAPER_EMBEDDER,
        device=device,
        profile_name="paper",
    )
    try:
        models.clip()
        models.dino()
        models.sentence_embedder()
    except ModelUnavailable as error:
        pytest.skip(f"paper metric weights not available offline: {str(error).splitlines()[0]}")
    return models


@pytest.mark.gpu
def test_real_clip_prefers_the_matching_caption(paper_models: MetricModels) -> None:
    red = Image.new("RGB", (512, 512), (220, 20, 20))
    by_caption = {}
    for caption in ("a plain red square", "a plain blue square"):
        values = score_edit(
            EditToScore("red", red, target=red, global_caption=caption), paper_models
        )
        by_caption[caption] = {(v.metric, v.caption_kind): v for v in values}
    red_score = by_caption["a plain red square"][("clip-t", "global")].value
    blue_score = by_caption["a plain blue square"][("clip-t", "global")].value
    assert red_score is not None and blue_score is not None and red_score > blue_score
    same = by_caption["a plain red square"]
    assert same[("clip-i", "none")].value == pytest.approx(1.0, abs=1e-5)
    assert same[("dino", "none")].value == pytest.approx(1.0, abs=1e-5)
    assert same[("clip-i", "none")].version.startswith(f"clip-i/1+{PAPER_CLIP}")


@pytest.mark.gpu
def test_real_sentence_embedder_ranks_paraphrases_higher(paper_models: MetricModels) -> None:
    gold = "a dog sitting on a red sofa"
    scores = {}
    for generated in ("a dog sitting on a red couch", "a plate of spaghetti"):
        item = EditToScore(
            "caption", Image.new("RGB", (8, 8)), global_caption=gold, generated_captions=[generated]
        )
        (value,) = score_edit(item, paper_models, metrics=["caption-cosine"])
        scores[generated] = value.value
    assert scores["a dog sitting on a red couch"] > scores["a plate of spaghetti"]  # type: ignore[operator]
