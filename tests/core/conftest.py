"""Tiny-model fixtures shared by the diffusion and method tests: one torch thread, private
tiny models (and their SD) per test module, and diffusers' pix2pix-zero pipeline on that SD
(the reference of inversion and edit).
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
def module_tiny_models(tiny_profile: Any) -> Any:
    """LoadedModels of the tiny profile on the CPU in float32, loaded for this module alone
    (each role on first use): its tests install attention processors on the UNet or change
    weights, which must not leak into other modules' models."""
    from handsoff_core.models.loading import LoadedModels

    return LoadedModels(tiny_profile, device=torch.device("cpu"), dtype=torch.float32)


@pytest.fixture(scope="module")
def tiny_sd(module_tiny_models: Any) -> Any:
    """The tiny SD (`SDComponents`) of `module_tiny_models`: this module's alone."""
    return module_tiny_models.diffusion()


@pytest.fixture(scope="module")
def pix2pix_zero(tiny_sd: Any) -> Iterator[Any]:
    """diffusers' `StableDiffusionPix2PixZeroPipeline` on `tiny_sd` (the one reference)."""
    from handsoff_core.diffusion.reference import pix2pix_zero_reference

    with pix2pix_zero_reference(tiny_sd) as pipeline:
        yield pipeline
