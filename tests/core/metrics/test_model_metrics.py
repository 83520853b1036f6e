"""CLIP-I, CLIP-T, DINO and caption cosine, checked against direct model calls on tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.metrics import EditToScore, MetricModels, MetricValue, score_edit, score_edits
from handsoff_core.metrics.preprocessing import DINO_TRANSFORM, clip_transform

from .photo_like import photo_like


def _cos(a: torch.Tensor, b: torch.Tensor) -> float:
    x, y = a.double().numpy().ravel(), b.double().numpy().ravel()
    return float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def _value(values: list[MetricValue], metric: str, kind: str = "none") -> MetricValue:
    (found,) = [m for m in values if m.metric == metric and m.caption_kind == kind]
    return found


@pytest.fixture(scope="module")
def images() -> dict[str, Image.Image]:
    return {
        "edit": photo_like(96, 72, seed=11),
        "target": photo_like(80, 80, seed=12),
        "source": photo_like(96, 72, seed=13),
    }


def test_clip_i_clip_t_dino_equal_direct_model_calls(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    item = EditToScore(
        "pair-1",
        images["edit"],
        target=images["target"],
        global_caption="a cat wearing a red hat on a sofa",
        local_caption="a red hat",
    )
    values = score_edit(item, metric_models, metrics=["clip-i", "clip-t", "dino"])
    clip = metric_models.clip().model
    dino = metric_models.dino().model
    tokenizer = metric_models.clip().tokenizer
    with torch.no_grad():
        pixels = torch.stack(
            [clip_transform(224)(images["edit"]), clip_transform(224)(images["target"])]
        )
        image_features = clip.get_image_features(pixel_values=pixels).pooler_output
        texts = tokenizer(
            ["a cat wearing a red hat on a sofa", "a red hat"], padding=True, return_tensors="pt"
        )
        text_features = clip.get_text_features(**texts).pooler_output
        dino_pixels = torch.stack(
            [DINO_TRANSFORM(images["edit"]), DINO_TRANSFORM(images["target"])]
        )
        cls = dino(pixel_values=dino_pixels).last_hidden_state[:, 0]
    assert _value(values, "clip-i").value == pytest.approx(
        _cos(image_features[0], image_features[1]), abs=1e-6
    )
    assert _value(values, "clip-t", "global").value == pytest.approx(
        _cos(image_features[0], text_features[0]), abs=1e-6
    )
    assert _value(values, "clip-t", "local").value == pytest.approx(
        _cos(image_features[0], text_features[1]), abs=1e-6
    )
    assert _value(values, "dino").value == pytest.approx(_cos(cls[0], cls[1]), abs=1e-6)


def test_identical_images_give_cosine_one(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    item = EditToScore("same", images["target"], target=images["target"].copy())
    values = score_edit(item, metric_models, metrics=["clip-i", "dino"])
    for value in values:
        assert value.value == pytest.approx(1.0, abs=1e-6)
        assert value.value is not None and value.value <= 1.0


def test_batching_does_not_change_values(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    items = [
        EditToScore(
            f"item-{i}",
            photo_like(64 + 8 * i, 64, seed=20 + i),
            source=images["source"] if i % 2 else None,
            target=images["target"],
            global_caption=f"a photo of {i} dogs",
            local_caption="a dog" if i % 2 else None,
            generated_captions=[f"a photo of {i} cats"],
        )
        for i in range(5)
    ]
    batched = score_edits(items, metric_models, batch_size=3)
    for item, values in zip(items, batched, strict=True):
        assert isinstance(values, list)
        alone = score_edit(item, metric_models)
        assert [v.metric for v in values] == [v.metric for v in alone]
        for a, b in zip(values, alone, strict=True):
            assert a.not_applicable == b.not_applicable
            if a.value is not None:
                assert a.value == pytest.approx(b.value, abs=1e-6)


def test_long_captions_are_truncated_to_77_tokens(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    # clip.tokenize would raise on this; we truncate (documented in clip_scores.py).
    long_caption = "a cat " * 100
    item = EditToScore("long", images["edit"], global_caption=long_caption)
    value = _value(score_edit(item, metric_models, metrics=["clip-t"]), "clip-t", "global")
    tokenizer = metric_models.clip().tokenizer
    tokens = tokenizer([long_caption], truncation=True, max_length=77, return_tensors="pt")
    assert tokens["input_ids"].shape[1] == 77
    with torch.no_grad():
        text = metric_models.clip().model.get_text_features(**tokens).pooler_output[0]
        image = (
            metric_models.clip()
            .model.get_image_features(pixel_values=clip_transform(224)(images["edit"])[None])
            .pooler_output[0]
        )
    assert value.value == pytest.approx(_cos(image, text), abs=1e-6)


def test_versions_name_definition_and_model(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    item = EditToScore("v", images["edit"], target=images["target"], global_caption="a dog")
    values = score_edit(item, metric_models, metrics=["l1", "clip-i", "dino", "clip-t"])
    versions = {v.metric: v.version for v in values}
    assert versions["l1"] == "l1/1"
    assert versions["clip-i"].startswith("clip-i/1+tiny:clip@")
    assert versions["dino"].startswith("dino/1+tiny:dino@")
    assert versions["clip-t"].split("+", 1)[1] == versions["clip-i"].split("+", 1)[1]


def test_other_dtype_is_part_of_the_version(
    metric_model_paths: dict[str, object], images: dict[str, Image.Image]
) -> None:
    bf16 = MetricModels(clip_id=str(metric_model_paths["clip"]), dtype=torch.bfloat16)
    item = EditToScore("half", images["edit"], target=images["target"])
    (value,) = score_edit(item, bf16, metrics=["clip-i"])
    assert value.version.endswith("+bf16")
    assert value.value is not None and -1.0 <= value.value <= 1.0


def test_html_entities_in_captions_are_unescaped_like_clip(
    metric_models: MetricModels, images: dict[str, Image.Image]
) -> None:
    from handsoff_core.metrics.clip_scores import clip_text_embeddings

    clip = metric_models.clip()
    escaped, plain = clip_text_embeddings(clip, ["fish &amp;amp; chips", "fish & chips"])
    assert torch.allclose(escaped, plain, atol=1e-6)  # same ids; rows of one batch
