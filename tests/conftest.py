"""Shared test setup: no model hub, one torch thread, tiny models built once per session.

`tiny_models_dir` builds every tiny model (random weights) into a temporary folder once per
session (about 15 s on 2 cores); set HANDSOFF_TEST_MODELS_DIR to keep them between sessions
(folders are stamped by the builders' code, so a changed builder still rebuilds).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Before anything imports huggingface_hub: nothing may be downloaded in tests.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# One intra-op thread unless told otherwise (read when torch starts): tiny models are all
# overhead, and on a shared 2-core machine OpenMP threads spin against each other. Measured
# with the load at 8-10: a 2-step 64 px InstructPix2Pix test took 15.7 s with 2 threads and
# 0.6 s with 1; greedy 32-token BLIP captioning 4.1 s vs 0.28 s.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def tiny_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from handsoff_core.models.tiny.build import build_tiny_models

    configured = os.environ.get("HANDSOFF_TEST_MODELS_DIR")
    models_dir = Path(configured) if configured else tmp_path_factory.mktemp("models")
    build_tiny_models(models_dir)
    return models_dir


@pytest.fixture(scope="session")
def tiny_profile(tiny_models_dir: Path) -> Any:
    """The `tiny` ModelProfile, its references resolved to the session's folders."""
    from handsoff_core.models.profiles import get_profile

    return get_profile("tiny", models_dir=tiny_models_dir)


@pytest.fixture(scope="session")
def tiny_models(tiny_profile: Any) -> Iterator[Any]:
    """LoadedModels of the tiny profile on the CPU in float32 (each role loads on first use)."""
    import torch

    from handsoff_core.models.loading import LoadedModels

    yield LoadedModels(tiny_profile, device=torch.device("cpu"), dtype=torch.float32)
