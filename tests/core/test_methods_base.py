"""MethodConfig identity, the registry's checks, request checks and the oracles."""

from __future__ import annotations

import pytest
from PIL import Image

from handsoff_core.errors import (
    ConfigError,
    ImageRejected,
    InstructionRejected,
    RecordRejected,
)
from handsoff_core.methods import METHOD_NAMES, EditRequest, MethodConfig, default_config
from handsoff_core.methods.base import check_request
from handsoff_core.methods.registry import build_method, config_from_params


def test_config_hash_is_stable_across_key_order() -> None:
    a = MethodConfig("m", {"weight": 1.0, "steps": 100, "nested": {"x": 1, "y": [1, 2]}})
    b = MethodConfig("m", {"nested": {"y": [1, 2], "x": 1}, "steps": 100, "weight": 1.0})
    assert a.canonical_json() == b.canonical_json()
    assert a.config_hash() == b.config_hash()
    assert a.canonical_json() == (
        '{"method":"m","params":{"nested":{"x":1,"y":[1,2]},"steps":100,"weight":1.0}}'
    )


def test_config_hash_changes_with_every_param_and_the_method() -> None:
    base = default_config("instruct-pix2pix")
    hashes = {base.config_hash()}
    for name, value in base.params.items():
        changed = {
            int: lambda v: v + 1,
            float: lambda v: v + 0.25,
            str: lambda v: "square" if v != "square" else "aspect-fit",
        }[type(value)](value)
        hashes.add(default_config("instruct-pix2pix", **{name: changed}).config_hash())
    assert len(hashes) == len(base.params) + 1
    magicbrush = default_config("magicbrush")
    assert magicbrush.params == base.params
    assert magicbrush.config_hash() != base.config_hash()


def test_floats_are_written_stably_and_ints_given_for_floats_are_coerced() -> None:
    assert default_config("instruct-pix2pix", guidance_scale=7).params["guidance_scale"] == 7.0
    assert (
        default_config("instruct-pix2pix", guidance_scale=7).config_hash()
        == default_config("instruct-pix2pix", guidance_scale=7.0).config_hash()
    )
    assert '"x":0.1' in MethodConfig("m", {"x": 0.1}).canonical_json()
    assert (
        MethodConfig("m", {"x": (1, 2)}).config_hash()
        == MethodConfig("m", {"x": [1, 2]}).config_hash()
    )


def test_non_json_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="non-finite"):
        MethodConfig("m", {"x": float("nan")}).canonical_json()
    with pytest.raises(ConfigError, match=r"params\.x"):
        MethodConfig("m", {"x": object()}).config_hash()


def test_registry_names_every_method() -> None:
    assert set(METHOD_NAMES) >= {
        "handsoff",
        "instruction-only",
        "after-caption-only",
        "gold-captions",
        "instruct-pix2pix",
        "magicbrush",
        "identity",
        "ground-truth",
    }


def test_unknown_method_or_parameter_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="unknown method 'pix2pix-zero'"):
        default_config("pix2pix-zero")
    with pytest.raises(ConfigError, match=r"'guidance'.*known parameters: guidance_scale"):
        default_config("instruct-pix2pix", guidance=3.0)
    with pytest.raises(ConfigError, match="'num_inference_steps': expected an integer"):
        default_config("instruct-pix2pix", num_inference_steps=2.5)
    with pytest.raises(ConfigError, match="expected a number"):
        default_config("instruct-pix2pix", guidance_scale="high")
    with pytest.raises(ConfigError, match="unknown parameter"):
        default_config("identity", weight=1.0)


def test_build_method_refuses_a_config_that_is_not_fully_resolved() -> None:
    partial = MethodConfig("identity", {})
    assert config_from_params("identity", {}) == partial  # identity has no parameters
    ip2p = MethodConfig("instruct-pix2pix", {"guidance_scale": 7.5})
    with pytest.raises(ConfigError, match="not fully resolved"):
        build_method(ip2p, models=None, device="cpu", dtype=None)  # type: ignore[arg-type]


def test_invalid_enum_value_is_refused_when_building() -> None:
    config = default_config("instruct-pix2pix", resize_mode="stretch")
    with pytest.raises(ConfigError, match="resize_mode 'stretch'"):
        build_method(config, models=None, device="cpu", dtype=None)  # type: ignore[arg-type]


def _request(image: Image.Image, instruction: str = "make it red") -> EditRequest:
    return EditRequest(item_id="item-7", source_image=image, instruction=instruction, seed=0)


@pytest.mark.parametrize(
    ("image", "instruction", "error", "message"),
    [
        (Image.new("RGB", (0, 4)), "x", ImageRejected, "zero-size"),
        (Image.new("RGB", (5000, 4000)), "x", ImageRejected, "exceeds the limit"),
        (Image.new("RGBA", (8, 8)), "x", ImageRejected, "mode RGBA, expected RGB"),
        (Image.new("L", (8, 8)), "x", ImageRejected, "mode L"),
        (Image.new("RGB", (8, 8)), "   ", InstructionRejected, "empty instruction"),
        (Image.new("RGB", (8, 8)), "a" * 501, InstructionRejected, "501 characters"),
    ],
)
def test_bad_requests_are_rejected_naming_the_item(
    image: Image.Image, instruction: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"item 'item-7'.*{message}"):
        check_request(_request(image, instruction))


def test_identity_oracle_returns_the_source_and_ground_truth_the_target() -> None:
    source = Image.new("RGB", (16, 8), (10, 20, 30))
    target = Image.new("RGB", (32, 16), (200, 100, 0))
    identity = build_method(default_config("identity"), None, device="cpu", dtype=None)  # type: ignore[arg-type]
    truth = build_method(default_config("ground-truth"), None, device="cpu", dtype=None)  # type: ignore[arg-type]
    request = EditRequest("s1", source, "make it orange", 3, target_image=target)
    same = identity.edit(request)
    assert same.image.tobytes() == source.tobytes() and same.image is not source
    assert same.config_hash == default_config("identity").config_hash() and same.seed == 3
    gold = truth.edit(request)
    assert gold.image.size == source.size
    assert gold.image.getpixel((5, 5)) == (200, 100, 0)
    assert any("resized 32x16 -> 16x8" in note for note in gold.notes)
    results = truth.edit_batch([request, EditRequest("s2", source, "x", 0)])
    assert isinstance(results[1], RecordRejected) and "'s2'" in str(results[1])


def test_every_registered_method_resolves_to_a_class_with_defaults() -> None:
    from handsoff_core.methods.registry import method_class

    for name in METHOD_NAMES:
        defaults = method_class(name).default_params(name)
        assert default_config(name).params == defaults
