"""Tiny models: built offline, reloaded through the real from_pretrained path, cached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from handsoff_core.models.availability import check_profile
from handsoff_core.models.tiny import build as tiny_build
from handsoff_core.models.tiny.blip import build_tiny_blip
from handsoff_core.models.tiny.llm import build_tiny_llm


def test_tiny_profile_models_are_all_present(tiny_profile: Any) -> None:
    statuses = check_profile(tiny_profile)
    missing = [status.role for status in statuses if not status.present]
    # The metric models are built by the metrics helper's builders; the rest are ours.
    ours = {"diffusion", "captioner", "llm", "instruct_pix2pix", "magicbrush"}
    assert not ours & set(missing)
    assert tiny_profile.random_weights
    assert Path(tiny_profile.captioner).name == "blip"


def test_tiny_models_reload_with_the_real_classes(tiny_models: Any) -> None:
    sd = tiny_models.diffusion()
    assert type(sd.unet).__name__ == "UNet2DConditionModel" and sd.unet.config.in_channels == 4
    assert type(sd.scheduler).__name__ == "DDIMScheduler"
    assert sd.vae.dtype == torch.float32 and not sd.unet.training
    assert not any(p.requires_grad for p in sd.unet.parameters())
    captioner = tiny_models.captioner()
    assert type(captioner.model).__name__ == "BlipForConditionalGeneration"
    llm = tiny_models.llm()
    assert type(llm.model).__name__ == "MistralForCausalLM"
    assert "[INST]" in llm.tokenizer.apply_chat_template(
        [{"role": "user", "content": "a cat"}], tokenize=False, add_generation_prompt=True
    )
    ip2p = tiny_models.instruct_pix2pix()
    assert type(ip2p).__name__ == "StableDiffusionInstructPix2PixPipeline"
    assert ip2p.unet.config.in_channels == 8
    assert type(ip2p.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    # MagicBrush: same architecture, other weights.
    magicbrush = tiny_models.magicbrush()
    first = next(iter(ip2p.unet.parameters()))
    other = next(iter(magicbrush.unet.parameters()))
    assert first.shape == other.shape and not torch.equal(first, other)
    assert tiny_models.magicbrush() is magicbrush  # loaded once


def test_tiny_builds_are_deterministic_per_seed(tmp_path: Path) -> None:
    from transformers import MistralForCausalLM

    a = MistralForCausalLM.from_pretrained(build_tiny_llm(tmp_path / "a"))
    b = MistralForCausalLM.from_pretrained(build_tiny_llm(tmp_path / "b"))
    c = MistralForCausalLM.from_pretrained(build_tiny_llm(tmp_path / "c", seed=5))
    weight = "model.layers.0.mlp.up_proj.weight"
    assert torch.equal(a.state_dict()[weight], b.state_dict()[weight])
    assert not torch.equal(a.state_dict()[weight], c.state_dict()[weight])


def test_existing_tiny_model_is_reused_and_a_changed_builder_gets_a_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = build_tiny_blip(tmp_path / "blip")
    stamp = (path / "model.safetensors").stat().st_mtime_ns
    build_tiny_blip(path)
    assert (path / "model.safetensors").stat().st_mtime_ns == stamp  # not rebuilt
    before = tiny_build.tiny_models_root(tmp_path)
    assert before.name.startswith("tiny-")
    original = Path.read_bytes

    def edited_builder(self: Path) -> bytes:
        data = original(self)
        return data + b"# edited" if self.name == "blip.py" else data

    monkeypatch.setattr(Path, "read_bytes", edited_builder)
    assert tiny_build.tiny_models_root(tmp_path) != before


def test_sd14_arch_instruct_pix2pix_has_the_real_shapes() -> None:
    from handsoff_core.models.tiny.ip2p import ip2p_arch_pipeline

    # On the meta device: shapes without memory or compute.
    pipeline = ip2p_arch_pipeline("meta", torch.float16)
    assert pipeline.unet.config.in_channels == 8
    assert pipeline.unet.config.cross_attention_dim == 768
    unet_parameters = sum(p.numel() for p in pipeline.unet.parameters())
    assert 859_000_000 < unet_parameters < 860_000_000  # timbrooks/instruct-pix2pix: 859.5 M
    assert pipeline.unet.dtype == torch.float16


def test_building_and_loading_prints_nothing_to_stdout(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from handsoff_core.models.loading import LoadedModels
    from handsoff_core.models.profiles import get_profile

    profile = get_profile("tiny", models_dir=tmp_path, build=False)
    build_tiny_llm(Path(profile.llm))
    models = LoadedModels(profile, device=torch.device("cpu"), dtype=torch.float32)
    models.llm().chat(
        [{"role": "user", "content": "a cat"}],
        max_new_tokens=2,
        do_sample=False,
        temperature=1.0,
        top_p=1.0,
        seed=0,
    )
    assert capfd.readouterr().out == ""
