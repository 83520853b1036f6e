"""Tiny-model fixtures shared by the diffusion tests: one torch thread, a private tiny SD per
test module, and diffusers' pix2pix-zero pipeline on it (the reference of inversion and edit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Tiny tensors: one thread avoids OpenMP spinning on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_sd(tiny_profile: Any) -> Any:
    """The tiny SD on the CPU in float32, loaded for this module alone: its tests install
    attention processors on the UNet, which must not leak into other modules' models."""
    from handsoff_core.models.loading import LoadedModels

    return LoadedModels(tiny_profile, device=torch.device("cpu"), dtype=torch.float32).diffusion()


@pytest.fixture(scope="module")
def pix2pix_zero(tiny_sd: Any) -> Iterator[Any]:
    """diffusers' `StableDiffusionPix2PixZeroPipeline` on `tiny_sd` (the one reference)."""
    from handsoff_core.diffusion.reference import pix2pix_zero_reference

    with pix2pix_zero_reference(tiny_sd) as pipeline:
        yield pipeline
