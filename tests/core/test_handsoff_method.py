"""HandsoffMethod and its ablations on the tiny profile: determinism, variants, sweeps, cache,
batching, bad input; and the `handsoff edit` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from handsoff_core.cache import MemoryStageCache
from handsoff_core.errors import ImageRejected, InstructionRejected, ItemError, RecordRejected
from handsoff_core.methods.base import EditRequest, EditResult
from handsoff_core.methods.registry import build_method, default_config

# Toy sizes: 64 px (8x8 latents), 3+3 steps, short generations from the tiny BLIP and LLM.
FAST = {
    "resolution": 64,
    "num_inversion_steps": 3,
    "num_edit_steps": 3,
    "num_reg_steps": 1,
}
CAPTIONER = {"caption_max_new_tokens": 5}
LLM = {"llm_max_new_tokens": 8, "llm_max_attempts": 1}


def fast_params(method: str, **overrides: Any) -> dict[str, Any]:
    params = dict(FAST)
    if method in ("handsoff", "instruction-only", "after-caption-only"):
        params.update(CAPTIONER)
    if method in ("handsoff", "after-caption-only"):
        params.update(LLM)
    params.update(overrides)
    return params


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def models(module_tiny_models: Any) -> Any:
    return module_tiny_models


def make(models: Any, method: str = "handsoff", cache: Any = None, **overrides: Any) -> Any:
    config = default_config(method, **fast_params(method, **overrides))
    return build_method(config, models, device="cpu", dtype=torch.float32, cache=cache)


def source(seed: int = 0, size: tuple[int, int] = (40, 48)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def request(item_id: str = "item-1", seed: int = 3, **changes: Any) -> EditRequest:
    fields: dict[str, Any] = {
        "item_id": item_id,
        "source_image": source(),
        "instruction": "put a hat on the cat",
        "seed": seed,
        "gold_input_caption": "a cat on a sofa",
        "gold_output_caption": "a cat with a hat on a sofa",
    }
    fields.update(changes)
    return EditRequest(**fields)


def pixels(result: EditResult) -> np.ndarray:
    return np.asarray(result.image, dtype=np.int16)


def test_same_inputs_config_and_seed_give_identical_outputs(models: Any) -> None:
    first = make(models).edit(request())
    second = make(models).edit(request())
    assert first.image.size == (40, 48) and first.image.mode == "RGB"
    assert np.array_equal(pixels(first), pixels(second))
    assert first.before_captions == second.before_captions and first.before_captions[0]
    assert first.after_captions and first.llm_raw_text
    assert first.config_hash == default_config("handsoff", **fast_params("handsoff")).config_hash()
    assert {"caption", "rewrite", "encode", "invert", "edit"} <= set(first.timings)
    assert any("random weights" in note for note in first.notes)
    other_seed = make(models).edit(request(seed=4))
    assert not np.array_equal(pixels(first), pixels(other_seed))


def test_weight_zero_is_the_same_reconstruction_for_every_caption_variant(models: Any) -> None:
    variants = ("handsoff", "instruction-only", "after-caption-only")
    at_zero = [make(models, variant, weight=0.0).edit(request()) for variant in variants]
    for result in at_zero[1:]:
        assert np.array_equal(pixels(result), pixels(at_zero[0]))
    full, instruction, after_only = (
        make(models, variant, weight=1.25).edit(request()) for variant in variants
    )
    assert not np.array_equal(pixels(full), pixels(at_zero[0]))
    assert not np.array_equal(pixels(full), pixels(instruction))
    assert instruction.after_captions == []  # instruction-only: no LLM, no after caption
    # The tiny LLM's fallback echoes the source caption as the before side, so the full
    # method's difference and the after caption alone are the same condition here; they
    # part when the LLM's before captions differ (see the next test).
    assert full.before_captions == [full.before_captions[0]]
    assert np.array_equal(pixels(full), pixels(after_only))


def test_edit_conditions_follow_each_variant(models: Any) -> None:
    from handsoff_core.diffusion.direction import mean_embedding
    from handsoff_core.methods.handsoff import Prepared

    sd = models.diffusion()

    def embed(*captions: str) -> torch.Tensor:
        return mean_embedding(sd.tokenizer, sd.text_encoder, list(captions))

    item = Prepared(
        request=request(),
        source_caption="a cat",
        before_captions=["a cat", "a small cat"],
        after_captions=["a cat with a hat", "a small cat in a hat"],
    )
    source_embedding = embed("a cat")
    weights = [0.5, 1.25]
    conditions = make(models, "handsoff")._edit_conditions(item, source_embedding, weights)
    direction = embed("a cat with a hat", "a small cat in a hat") - embed("a cat", "a small cat")
    for k, weight in enumerate(weights):
        torch.testing.assert_close(
            conditions[k], (source_embedding + weight * direction)[0], rtol=0, atol=1e-6
        )
    after_only = make(models, "after-caption-only")._edit_conditions(
        item, source_embedding, [1.0, 0.5]
    )
    after = embed("a cat with a hat", "a small cat in a hat")
    torch.testing.assert_close(after_only[0], after[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(
        after_only[1], (source_embedding + 0.5 * (after - source_embedding))[0], rtol=0, atol=1e-6
    )
    assert (after_only[1] - conditions[0]).abs().max() > 1e-3  # differs from the full method
    instruction = make(models, "instruction-only")._edit_conditions(item, source_embedding, [1.0])
    expected = source_embedding + embed("put a hat on the cat") - embed("")
    torch.testing.assert_close(instruction[0], expected[0], rtol=0, atol=1e-6)


def test_gold_captions_use_the_dataset_captions(models: Any) -> None:
    result = make(models, "gold-captions").edit(request())
    assert result.before_captions == ["a cat on a sofa"]
    assert result.after_captions == ["a cat with a hat on a sofa"]
    assert result.llm_raw_text is None and "caption" not in result.timings


def test_a_sweep_equals_separate_edits_with_each_weights_config(models: Any) -> None:
    weights = [0.0, 0.75, 1.25]
    swept = make(models, "gold-captions").edit_sweep(request(), weights)
    assert len(swept) == 3
    for weight, result in zip(weights, swept, strict=True):
        alone = make(models, "gold-captions", weight=weight).edit(request())
        assert np.abs(pixels(result) - pixels(alone)).max() <= 1
        assert result.config_hash == alone.config_hash
        assert (
            result.config_hash
            == (
                default_config("gold-captions", **fast_params("gold-captions", weight=weight))
            ).config_hash()
        )
    assert not np.array_equal(pixels(swept[0]), pixels(swept[2]))


def test_bad_input_is_a_clear_item_error(models: Any) -> None:
    method = make(models)
    cases: list[tuple[EditRequest, type[ItemError], str]] = [
        (request("zero", source_image=Image.new("RGB", (0, 0))), ImageRejected, "zero-size"),
        (request("huge", source_image=Image.new("1", (4097, 4097))), ImageRejected, "exceeds"),
        (request("grey", source_image=source().convert("L")), ImageRejected, "mode L"),
        (request("empty", instruction="   "), InstructionRejected, "empty instruction"),
        (request("long", instruction="add a hat " * 60), InstructionRejected, "exceeds"),
    ]
    for bad, error_type, message in cases:
        with pytest.raises(error_type, match=message) as raised:
            method.edit(bad)
        assert repr(bad.item_id) in str(raised.value)
    many_tokens = request("tokens", instruction=" ".join(["red cat"] * 45))
    with pytest.raises(InstructionRejected, match="tokens"):
        make(models, "instruction-only").edit(many_tokens)
    results = make(models, "gold-captions").edit_batch(
        [request("ok-1"), request("no-gold", gold_output_caption=None), request("ok-2")]
    )
    assert isinstance(results[1], RecordRejected) and "'no-gold'" in str(results[1])
    assert "gold output caption" in str(results[1])
    assert isinstance(results[0], EditResult) and isinstance(results[2], EditResult)


def test_a_batch_equals_items_edited_alone(models: Any) -> None:
    items = [request("a", seed=1), request("b", seed=2, source_image=source(5, (64, 64)))]
    batched = make(models, "gold-captions").edit_batch(items)
    for item, result in zip(items, batched, strict=True):
        assert isinstance(result, EditResult) and result.item_id == item.item_id
        alone = make(models, "gold-captions").edit(item)
        assert np.abs(pixels(result) - pixels(alone)).max() <= 1


def test_the_stage_cache_serves_captions_rewrites_and_latents(models: Any) -> None:
    cache = MemoryStageCache()
    first = make(models, cache=cache).edit(request())
    assert cache.hits == 0 and len(cache) == 3  # caption, rewrite, latents
    method = make(models, cache=cache)
    method.keep_inverted_latents = True
    second = method.edit(request())
    assert cache.hits == 3
    assert np.array_equal(pixels(first), pixels(second))
    assert second.inverted_latents is not None and second.inverted_latents.shape == (1, 4, 8, 8)
    assert any("stage cache" in note for note in second.notes)
    make(models, cache=cache).edit(request(seed=9))  # another seed: another inversion
    assert len(cache) == 5  # its latents, and its rewrite (the LLM is seeded per item)


def test_null_text_inversion_runs_through_the_method(models: Any) -> None:
    plain = make(models, "gold-captions").edit(request())
    null = make(models, "gold-captions", null_text=True, null_text_inner_steps=2).edit(request())
    assert null.image.size == plain.image.size
    assert not np.array_equal(pixels(null), pixels(plain))


def test_edit_command_writes_the_image_and_json(
    tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.cli.app import build_app

    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    image_path, out = tmp_path / "cat.png", tmp_path / "out" / "edited.png"
    source(1, (50, 30)).convert("RGBA").save(image_path)
    settings = [f"--set={name}={value}" for name, value in fast_params("handsoff").items()]
    arguments = ["edit", str(image_path), "put a hat on the cat", "--profile", "tiny"]
    arguments += ["--out", str(out), "--weight", "1.25", "--seed", "7", "--json", *settings]
    outcome = CliRunner().invoke(build_app(), arguments)
    assert outcome.exit_code == 0, outcome.output
    payload = json.loads(outcome.stdout)
    assert Image.open(out).size == (50, 30)
    assert payload["config"]["params"]["weight"] == 1.25 and payload["seed"] == 7
    assert (
        payload["config_hash"]
        == default_config("handsoff", **fast_params("handsoff", weight=1.25)).config_hash()
    )
    assert payload["before_captions"] and payload["after_captions"]
    assert {"caption", "rewrite", "invert", "edit"} <= set(payload["timings"])
    assert any("RGBA" in note for note in payload["notes"])
    refused = CliRunner().invoke(build_app(), [*arguments[:2], "", *arguments[3:]])
    assert refused.exit_code == 1 and "empty instruction" in refused.output


@pytest.mark.gpu
def test_paper_profile_edits_a_512px_image_on_a_gpu(tmp_path: Path) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    from handsoff_core.errors import ModelUnavailable
    from handsoff_core.models.loading import LoadedModels
    from handsoff_core.models.profiles import get_profile

    profile = get_profile("paper", models_dir=tmp_path)
    models = LoadedModels(profile, device=torch.device("cuda"), dtype=torch.float16)
    try:
        models.diffusion(), models.captioner(), models.llm()
    except ModelUnavailable as error:
        pytest.skip(f"the paper profile's weights are not available here: {error}")
    config = default_config("handsoff", num_inversion_steps=20, num_edit_steps=20)
    method = build_method(config, models, device="cuda", dtype=torch.float16)
    result = method.edit(request(source_image=source(0, (512, 512))))
    assert result.image.size == (512, 512)
    assert result.before_captions[0] and result.after_captions and result.llm_raw_text
    assert np.asarray(result.image).std() > 5  # a real model gives an image, not a flat field


def test_bench_edit_reports_stages_and_the_reference_ratio(
    tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flows.cli.app import build_app

    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    settings = [
        f"--set={name}={value}"
        for name, value in fast_params("handsoff").items()
        if name not in ("resolution", "num_inversion_steps", "num_edit_steps")
    ]
    arguments = ["bench", "edit", "--profile", "tiny", "--n", "1", "--size", "64"]
    arguments += ["--steps", "2", "--threads", "1", "--no-sweep", "--json", *settings]
    outcome = CliRunner().invoke(build_app(), arguments)
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.stdout)
    assert {"caption", "rewrite", "invert", "edit"} <= set(report["seconds_per_stage"])
    assert report["edits_per_second"] > 0
    assert report["reference"]["ratio_to_our_diffusion_stages"] > 0
    # Same inputs, same arithmetic up to fused self-attention: at most one 8-bit level apart.
    assert report["reference"]["image_max_abs_difference"] <= 1 / 255 + 1e-6
    assert "sweep" not in report
