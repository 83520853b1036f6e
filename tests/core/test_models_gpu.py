"""The `paper` profile's captioner, LLM and baselines with real weights on a GPU.

Skipped, with the reason, where there is no CUDA GPU or the weights are not in the Hugging
Face cache (nothing is ever downloaded in tests).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

pytestmark = pytest.mark.gpu


def _paper_models(tmp_path: Path, *roles: str) -> Any:
    from handsoff_core.models.availability import role_status
    from handsoff_core.models.loading import load_models
    from handsoff_core.models.profiles import get_profile

    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    profile = get_profile("paper", models_dir=tmp_path, build=False)
    for role in roles:
        status = role_status(profile, role)
        if not status.present:
            pytest.skip(f"{role} weights {status.reference} unavailable: {status.detail}")
    return load_models(profile, device="cuda")


def _red_square_on_white() -> Image.Image:
    image = Image.new("RGB", (512, 384), "white")
    ImageDraw.Draw(image).rectangle((150, 100, 350, 300), fill=(220, 20, 20))
    return image


def test_blip_base_captions_in_english(tmp_path: Path) -> None:
    from handsoff_core.captioner import PIX2PIX_ZERO_PREFIX, CaptionOptions

    captioner = _paper_models(tmp_path, "captioner").captioner()
    (caption,) = captioner.caption([_red_square_on_white()])
    assert 2 <= len(caption.split()) <= 30 and caption.isascii()
    (prefixed,) = captioner.caption(
        [_red_square_on_white()], CaptionOptions(prefix=PIX2PIX_ZERO_PREFIX)
    )
    assert prefixed.startswith(PIX2PIX_ZERO_PREFIX)


def test_mistral_follows_the_authors_format(tmp_path: Path) -> None:
    from handsoff_core.rewriter import RewriteOptions

    rewriter = _paper_models(tmp_path, "llm").rewriter(RewriteOptions(n_captions=2))
    rewrite = rewriter.rewrite(
        item_id="gpu-1",
        instruction="put a hat on the cat",
        before_caption="a cat sitting on a wooden table",
        seed=0,
    )
    assert len(rewrite.before_captions) == 2 and len(rewrite.after_captions) == 2
    assert any("hat" in caption for caption in rewrite.after_captions)
    assert not rewrite.fallback_used


def test_instruct_pix2pix_edits_at_source_size(tmp_path: Path) -> None:
    from handsoff_core.methods import EditRequest, build_method, default_config

    models = _paper_models(tmp_path, "instruct_pix2pix")
    config = default_config("instruct-pix2pix", num_inference_steps=20)
    method = build_method(config, models, device=models.device, dtype=models.dtype)
    request = EditRequest("gpu-2", _red_square_on_white(), "make the square blue", seed=0)
    result = method.edit(request)
    assert result.image.size == (512, 384)
    pixels = np.asarray(result.image, dtype=np.float32)
    assert pixels[200, 250, 2] > pixels[200, 250, 0]  # the square turned blue-ish
