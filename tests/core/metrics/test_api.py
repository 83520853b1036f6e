"""The plain API: not-applicable reasons, per-item errors, versions, no NaN ever."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from handsoff_core.errors import ImageRejected, MaskRejected, ModelUnavailable
from handsoff_core.metrics import (
    ALL_METRICS,
    EditToScore,
    LoadedModel,
    MetricModels,
    MetricValue,
    score_edit,
    score_edits,
)

from .photo_like import photo_like

MODEL_FREE = [
    "l1",
    "l2",
    "preservation-l1",
    "preservation-psnr",
    "preservation-ssim",
    "caption-bleu",
]


def _reasons(values: list[MetricValue]) -> dict[tuple[str, str], str | None]:
    return {(v.metric, v.caption_kind): v.not_applicable for v in values}


def test_every_metric_reports_one_value_or_a_reason(metric_models: MetricModels) -> None:
    source = photo_like(48, 40, seed=1)
    mask = Image.new("L", (48, 40))
    mask.paste(255, (10, 10, 30, 30))
    item = EditToScore(
        "full",
        photo_like(48, 40, seed=2),
        source=source,
        target=photo_like(48, 40, seed=3),
        mask=mask,
        global_caption="a dog on a beach",
        local_caption="a dog",
        generated_captions=["a cat on a beach"],
    )
    values = score_edit(item, metric_models)
    keys = [(v.metric, v.caption_kind) for v in values]
    assert keys == [
        ("l1", "none"),
        ("l2", "none"),
        ("clip-i", "none"),
        ("dino", "none"),
        ("clip-t", "global"),
        ("clip-t", "local"),
        ("preservation-l1", "none"),
        ("preservation-psnr", "none"),
        ("preservation-ssim", "none"),
        ("caption-bleu", "global"),
        ("caption-cosine", "global"),
    ]
    assert {v.metric for v in values} == set(ALL_METRICS)
    assert all(v.value is not None and math.isfinite(v.value) for v in values)


def test_missing_parts_are_not_applicable_with_reasons_never_zero(
    metric_models: MetricModels,
) -> None:
    values = score_edit(EditToScore("bare", photo_like(32, 32, seed=4)), metric_models)
    assert all(v.value is None for v in values)
    reasons = _reasons(values)
    assert reasons[("l1", "none")] == "no ground-truth target image"
    assert reasons[("clip-i", "none")] == "no ground-truth target image"
    assert reasons[("dino", "none")] == "no ground-truth target image"
    assert reasons[("clip-t", "global")] == "no gold global caption"
    assert reasons[("clip-t", "local")] == "no gold local caption"
    assert reasons[("preservation-ssim", "none")] == "no source image"
    assert reasons[("caption-bleu", "global")] == "no gold output caption"


def test_no_mask_and_no_generated_caption_are_named() -> None:
    source = photo_like(32, 32, seed=5)
    item = EditToScore(
        "identity-oracle",
        source,
        source=source,
        target=source,
        global_caption="a dog",
        generated_captions=["   "],
    )
    values = score_edit(item, metrics=MODEL_FREE)
    reasons = _reasons(values)
    assert reasons[("preservation-l1", "none")] == "no edit mask"
    assert reasons[("caption-bleu", "global")] == "the method wrote no after-edit caption"
    assert {v.metric: v.value for v in values}["l1"] == 0.0  # identity oracle vs itself


def test_mask_of_the_wrong_size_is_rejected_naming_the_item() -> None:
    source = photo_like(32, 32, seed=6)
    item = EditToScore("327726-2", source, source=source, mask=Image.new("L", (16, 32)))
    with pytest.raises(
        MaskRejected, match=r"327726-2: mask is 16x32 but its source image is 32x32"
    ):
        score_edit(item, metrics=MODEL_FREE)


def test_a_bad_item_does_not_stop_the_batch() -> None:
    source = photo_like(32, 32, seed=7)
    good = EditToScore("good", source, target=source)
    bad = EditToScore("bad", source, source=source, mask=Image.new("L", (8, 8)))
    empty = EditToScore("empty", Image.new("RGB", (0, 0)), target=source)
    results = score_edits([good, bad, empty], metrics=["l1"])
    assert isinstance(results[0], list) and results[0][0].value == 0.0
    assert isinstance(results[1], MaskRejected) and "bad" in str(results[1])
    assert isinstance(results[2], ImageRejected) and "empty" in str(results[2])


def test_grayscale_and_alpha_images_are_scored(metric_models: MetricModels) -> None:
    rgb = photo_like(40, 40, seed=8)
    grey = rgb.convert("L")
    rgba = rgb.convert("RGBA")
    values = score_edit(
        EditToScore("modes", grey, source=rgba, target=rgba, mask=Image.new("1", (40, 40))),
        metric_models,
        metrics=["l1", "clip-i", "preservation-psnr"],
    )
    expected = score_edit(
        EditToScore(
            "modes", grey.convert("RGB"), source=rgb, target=rgb, mask=Image.new("L", (40, 40))
        ),
        metric_models,
        metrics=["l1", "clip-i", "preservation-psnr"],
    )
    assert [v.value for v in values] == [v.value for v in expected]


def test_metric_value_refuses_nan_inf_and_ambiguity() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        MetricValue("l1", "l1/1", "none", float("nan"))
    with pytest.raises(ValueError, match="non-finite"):
        MetricValue("preservation-psnr", "preservation-psnr/1", "none", float("inf"))
    with pytest.raises(ValueError, match="not both"):
        MetricValue("l1", "l1/1", "none", None)
    with pytest.raises(ValueError, match="caption_kind"):
        MetricValue("clip-t", "clip-t/1+x", "other", 0.2)  # type: ignore[arg-type]


def test_zero_embedding_is_not_applicable_not_nan() -> None:
    import torch

    from handsoff_core.metrics.embedding import cosine_similarity
    from handsoff_core.metrics.not_applicable import NotApplicable

    with pytest.raises(NotApplicable, match="zero embedding"):
        cosine_similarity(torch.zeros(4), torch.ones(4), what="clip-i of x")
    with pytest.raises(NotApplicable, match="non-finite"):
        cosine_similarity(torch.tensor([np.inf, 0.0]), torch.ones(2), what="clip-i of x")


def test_model_metrics_without_models_or_unknown_metrics_are_caller_errors() -> None:
    item = EditToScore("x", photo_like(16, 16, seed=9))
    with pytest.raises(ValueError, match="need MetricModels"):
        score_edits([item], metrics=["clip-i"])
    with pytest.raises(ValueError, match="unknown metric"):
        score_edits([item], metrics=["fid"])


def test_missing_model_raises_model_unavailable_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-clip"
    models = MetricModels(clip_id=str(missing), profile_name="mine")
    item = EditToScore("x", photo_like(16, 16, seed=10), target=photo_like(16, 16, seed=11))
    with pytest.raises(ModelUnavailable, match=r"clip_metric of profile 'mine'.*no-such-clip"):
        score_edits([item], models, metrics=["clip-i"])


def test_models_built_in_memory_carry_their_identity(metric_models: MetricModels) -> None:
    clip = metric_models.clip()
    in_memory = MetricModels.from_loaded(
        {"clip_metric": LoadedModel(clip.model, clip.tokenizer, "arch:clip-vit-base-patch32")}
    )
    item = EditToScore("mem", photo_like(16, 16, seed=12), target=photo_like(16, 16, seed=13))
    (value,) = score_edit(item, in_memory, metrics=["clip-i"])
    assert value.version == "clip-i/1+arch:clip-vit-base-patch32"
    (reference,) = score_edit(item, metric_models, metrics=["clip-i"])
    assert value.value == reference.value
    with pytest.raises(ValueError, match="unknown metric model role"):
        MetricModels.from_loaded({"clip": clip})


def test_oracle_rows_give_the_floor_and_ceiling(metric_models: MetricModels) -> None:
    source, target = photo_like(48, 40, seed=14), photo_like(48, 40, seed=15)
    mask = Image.new("L", (48, 40))
    mask.paste(255, (12, 12, 30, 30))
    common = {"source": source, "target": target, "mask": mask, "global_caption": "a dog"}
    ground_truth = {
        (v.metric, v.caption_kind): v.value
        for v in score_edit(EditToScore("ground-truth", target, **common), metric_models)  # type: ignore[arg-type]
    }
    assert ground_truth[("l1", "none")] == ground_truth[("l2", "none")] == 0.0
    assert ground_truth[("clip-i", "none")] == pytest.approx(1.0, abs=1e-6)
    assert ground_truth[("dino", "none")] == pytest.approx(1.0, abs=1e-6)
    identity = {
        (v.metric, v.caption_kind): v.value
        for v in score_edit(EditToScore("identity", source, **common), metric_models)  # type: ignore[arg-type]
    }
    assert identity[("preservation-l1", "none")] == 0.0
    assert identity[("preservation-psnr", "none")] == 100.0
    assert identity[("preservation-ssim", "none")] == pytest.approx(1.0, abs=1e-12)
    assert identity[("l1", "none")] == pytest.approx(
        float(np.abs(np.asarray(source, float) - np.asarray(target, float)).mean() / 255), abs=1e-6
    )
