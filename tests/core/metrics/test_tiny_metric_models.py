"""The tiny metric models: real from_pretrained folders, shaped like the paper's models."""

from __future__ import annotations

from pathlib import Path

from handsoff_core.metrics import MetricModels
from handsoff_core.metrics.models import local_folder_identity
from handsoff_core.models.tiny.metrics import build_tiny_dino


def test_tiny_models_load_with_the_real_classes(metric_models: MetricModels) -> None:
    clip = metric_models.clip()
    assert type(clip.model).__name__ == "CLIPModel"
    vision = clip.model.config.vision_config
    assert (vision.image_size, vision.patch_size) == (224, 32)  # ViT-B/32 geometry
    assert clip.model.config.text_config.max_position_embeddings == 77
    assert clip.tokenizer("a cat")["input_ids"][0] == clip.model.config.text_config.bos_token_id
    dino = metric_models.dino()
    assert type(dino.model).__name__ == "ViTModel" and dino.model.pooler is None
    assert dino.model.config.patch_size == 16
    embedder = metric_models.sentence_embedder()
    assert type(embedder.model).__name__ == "BertModel"


def test_builds_are_deterministic(tmp_path: Path, metric_model_paths: dict[str, Path]) -> None:
    again = build_tiny_dino(tmp_path / "tiny-other" / "dino")
    assert local_folder_identity(again) == local_folder_identity(metric_model_paths["dino"])
    assert local_folder_identity(again).startswith("tiny:dino@")


def test_building_twice_keeps_the_folder(metric_model_paths: dict[str, Path]) -> None:
    before = local_folder_identity(metric_model_paths["dino"])
    build_tiny_dino(metric_model_paths["dino"])
    assert local_folder_identity(metric_model_paths["dino"]) == before
