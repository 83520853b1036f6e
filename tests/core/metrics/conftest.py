"""Tiny metric models, built once per session with the builders the `tiny` profile uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def metric_model_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from handsoff_core.models.tiny.metrics import (
        build_tiny_clip,
        build_tiny_dino,
        build_tiny_sentence_embedder,
    )

    # "tiny-<x>" parent: the layout of handsoff_core.models.tiny.build, so identities read
    # "tiny:clip@<digest>" as in real tiny-profile runs.
    root = tmp_path_factory.mktemp("metric-models") / "tiny-test"
    return {
        "clip": build_tiny_clip(root / "clip"),
        "dino": build_tiny_dino(root / "dino"),
        "sentence-embedder": build_tiny_sentence_embedder(root / "sentence-embedder"),
    }


@pytest.fixture(scope="session")
def metric_models(metric_model_paths: dict[str, Path]):  # type: ignore[no-untyped-def]
    from handsoff_core.metrics import MetricModels

    return MetricModels(
        clip_id=str(metric_model_paths["clip"]),
        dino_id=str(metric_model_paths["dino"]),
        sentence_embedder_id=str(metric_model_paths["sentence-embedder"]),
        profile_name="tiny",
    )
