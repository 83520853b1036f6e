"""Profiles as data: built-in, user files, bad files; missing models; device resolution."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from handsoff_core.device import resolve_device, resolve_dtype
from handsoff_core.errors import ConfigError, ModelUnavailable
from handsoff_core.models.availability import check_profile
from handsoff_core.models.loading import LoadedModels
from handsoff_core.models.profiles import ROLES, get_profile, parse_profile, profile_names


def test_paper_profile_names_the_papers_models() -> None:
    paper = parse_profile("paper")
    assert paper.diffusion == "CompVis/stable-diffusion-v1-4"
    assert paper.captioner == "Salesforce/blip-image-captioning-base"
    assert paper.llm == "mistralai/Mistral-7B-Instruct-v0.2"
    assert paper.instruct_pix2pix == "timbrooks/instruct-pix2pix"
    assert paper.magicbrush == "vinesmsuic/magicbrush-jul7"
    assert paper.clip_metric == "openai/clip-vit-base-patch32"
    assert paper.dino == "facebook/dino-vits16"
    assert paper.sentence_embedder == "sentence-transformers/all-MiniLM-L6-v2"
    assert paper.random_weights is False and paper.rewriter_fallback == "fail"
    assert paper.output_note is None


def test_sd14_arch_extends_tiny_with_full_size_diffusion(tmp_path: Path) -> None:
    arch = get_profile("sd14-arch", models_dir=tmp_path, build=False)
    assert arch.diffusion == "arch:sd14" and arch.instruct_pix2pix == "arch:sd14-ip2p"
    assert arch.captioner.startswith(str(tmp_path)) and arch.captioner.endswith("/blip")
    assert arch.random_weights and arch.rewriter_fallback == "instruction-append"
    assert "Full-size" in arch.description
    assert arch.output_note == "sd14-arch profile: random weights, output is noise"


def test_user_profile_file_extends_overrides_and_resolves_relative_folders(
    tmp_path: Path,
) -> None:
    file = tmp_path / "conf" / "profiles.toml"
    file.parent.mkdir()
    file.write_text(
        """
[profiles.paper-local-llm]
extends = "paper"
llm = "./weights/mistral"
description = "paper with a local LLM"
[profiles.paper-local-llm.revisions]
diffusion = "abc123"

[profiles.mine]
diffusion = "org/sd"
captioner = "org/blip"
llm = "org/llm"
instruct_pix2pix = "org/ip2p"
magicbrush = "org/mb"
clip_metric = "org/clip"
dino = "org/dino"
sentence_embedder = "tiny:sentence-embedder"
""",
        encoding="utf-8",
    )
    assert {"paper", "tiny", "sd14-arch", "paper-local-llm", "mine"} <= set(profile_names(file))
    local = get_profile("paper-local-llm", profiles_file=file, models_dir=tmp_path, build=False)
    assert local.llm == str((file.parent / "weights" / "mistral").resolve())
    assert local.diffusion == "CompVis/stable-diffusion-v1-4"
    assert local.revision("diffusion") == "abc123" and local.revision("llm") is None
    assert local.description == "paper with a local LLM"
    mine = get_profile("mine", profiles_file=file, models_dir=tmp_path, build=False)
    assert mine.random_weights is False
    assert mine.sentence_embedder.endswith("/sentence-embedder")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.x\n", "invalid TOML"),
        ('[profiles.x]\nextends = "paper"\nvae = "a/b"\n', r"unknown key\(s\) \['vae'\]"),
        ('[profiles.paper]\nllm = "a/b"\n', "'paper' is built in"),
        ('[profiles.x]\ndiffusion = "a/b"\n', r"no model given for role\(s\) captioner"),
        ('[profiles.x]\nextends = "y"\n[profiles.y]\nextends = "x"\n', "extends` cycle"),
        ('[profiles.x]\nextends = "nope"\n', "unknown profile 'nope'"),
        ('[profiles.x]\nextends = "paper"\nrewriter_fallback = "guess"\n', "rewriter_fallback"),
        ('[profiles.x]\nextends = "paper"\nrandom_weights = "yes"\n', "true or false"),
        ('[profiles.x]\nextends = "paper"\nllm = ""\n', "non-empty string"),
        ('name = "x"\n', "unknown top-level key"),
    ],
)
def test_bad_profile_files_are_config_errors_naming_the_problem(
    tmp_path: Path, text: str, message: str
) -> None:
    file = tmp_path / "profiles.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        parse_profile("x", profiles_file=file)


def test_unknown_profile_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown profile 'nope'; known profiles: paper"):
        parse_profile("nope")
    with pytest.raises(ConfigError, match="cannot read"):
        parse_profile("paper", profiles_file=tmp_path / "absent.toml")


def _profile_with(tmp_path: Path, **roles: str) -> Path:
    file = tmp_path / "p.toml"
    body = "\n".join(f'{role} = "{value}"' for role, value in roles.items())
    file.write_text(f'[profiles.broken]\nextends = "paper"\n{body}\n', encoding="utf-8")
    return file


def test_missing_local_folder_is_model_unavailable_naming_model_and_profile(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-blip"
    file = _profile_with(tmp_path, captioner=str(missing))
    profile = get_profile("broken", profiles_file=file, models_dir=tmp_path, build=False)
    models = LoadedModels(profile, device=torch.device("cpu"), dtype=torch.float32)
    with pytest.raises(ModelUnavailable) as caught:
        models.captioner()
    message = str(caught.value)
    assert str(missing) in message and "'broken'" in message and "does not exist" in message


def test_uncached_hub_model_is_unavailable_offline(tmp_path: Path) -> None:
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    file = _profile_with(tmp_path, llm="handsoff-test/not-a-model")
    profile = get_profile("broken", profiles_file=file, models_dir=tmp_path, build=False)
    models = LoadedModels(profile, device=torch.device("cpu"), dtype=torch.float32)
    with pytest.raises(
        ModelUnavailable, match=r"llm model 'handsoff-test/not-a-model' of profile 'broken'"
    ):
        models.llm()
    statuses = {status.role: status for status in check_profile(profile)}
    assert not statuses["llm"].present and "not in the Hugging Face cache" in statuses["llm"].detail
    assert set(statuses) == set(ROLES)


def test_folder_without_config_is_unavailable(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    file = _profile_with(tmp_path, diffusion=str(empty))
    profile = get_profile("broken", profiles_file=file, models_dir=tmp_path, build=False)
    models = LoadedModels(profile, device=torch.device("cpu"), dtype=torch.float32)
    with pytest.raises(ModelUnavailable, match=r"no config\.json/model_index\.json"):
        models.diffusion()


def test_unbuilt_tiny_models_are_reported_missing(tmp_path: Path) -> None:
    profile = get_profile("tiny", models_dir=tmp_path / "empty", build=False)
    statuses = check_profile(profile)
    assert not any(status.present for status in statuses)
    assert all("no such folder" in status.detail for status in statuses)


def test_device_and_dtype_resolution() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_dtype(None, torch.device("cpu")) == torch.float32
    assert resolve_dtype("auto", torch.device("cuda")) == torch.float16
    assert resolve_dtype("bf16", torch.device("cuda")) == torch.bfloat16
    with pytest.raises(ConfigError, match="unknown dtype"):
        resolve_dtype("int8", torch.device("cpu"))
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("tpu:0")
    if not torch.cuda.is_available():
        assert resolve_device("auto") in (torch.device("cpu"), torch.device("mps"))
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda:0")
