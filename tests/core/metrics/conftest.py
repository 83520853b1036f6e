"""Metric models of the `tiny` profile, from the session's shared tiny models folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from handsoff_core.metrics import MetricModels

TINY_METRIC_MODELS = ("clip", "dino", "sentence-embedder")


@pytest.fixture(scope="session")
def metric_model_paths(tiny_models_dir: Path) -> dict[str, Path]:
    """{name: folder} of the tiny metric models, in the layout the `tiny` profile uses."""
    from handsoff_core.models.tiny.build import build_tiny_model

    return {name: build_tiny_model(name, tiny_models_dir) for name in TINY_METRIC_MODELS}


@pytest.fixture(scope="session")
def metric_models(metric_model_paths: dict[str, Path]) -> MetricModels:
    return MetricModels(
        clip_id=str(metric_model_paths["clip"]),
        dino_id=str(metric_model_paths["dino"]),
        sentence_embedder_id=str(metric_model_paths["sentence-embedder"]),
        profile_name="tiny",
    )
