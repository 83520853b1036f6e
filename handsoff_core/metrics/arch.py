"""The metric models' full-size architectures with random weights, built in memory.

For benchmarks only: the compute cost of `openai/clip-vit-base-patch32`,
`facebook/dino-vits16` and `sentence-transformers/all-MiniLM-L6-v2` without their weights
(nothing can be downloaded here). The configs are those models' published architectures; the
tokenizers are the tiny ones (token ids stay within the full vocabularies), so text lengths,
not vocabularies, set the text cost. Values computed with these models mean nothing.
"""

from __future__ import annotations

import torch

from handsoff_core.metrics.models import LoadedModel, MetricModels


def full_size_metric_models(
    *, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32, seed: int = 0
) -> MetricModels:
    from transformers import BertConfig, BertModel, CLIPConfig, CLIPModel, ViTConfig, ViTModel

    from handsoff_core.models.tiny.common import seeded
    from handsoff_core.models.tiny.metrics import tiny_sentence_vocab
    from handsoff_core.models.tiny.sd import make_tiny_tokenizer

    clip_config = CLIPConfig(
        # ViT-B/32: 12 x 768 vision (patch 32, 224 px), 12 x 512 text, 512-d joint space.
        text_config={
            "hidden_size": 512,
            "intermediate_size": 2048,
            "num_attention_heads": 8,
            "num_hidden_layers": 12,
            "max_position_embeddings": 77,
            "hidden_act": "quick_gelu",
        },
        vision_config={
            "hidden_size": 768,
            "intermediate_size": 3072,
            "num_attention_heads": 12,
            "num_hidden_layers": 12,
            "image_size": 224,
            "patch_size": 32,
            "hidden_act": "quick_gelu",
        },
        projection_dim=512,
    )
    # DINO ViT-S/16: 12 x 384, 6 heads, patch 16, 224 px.
    dino_config = ViTConfig(
        hidden_size=384,
        intermediate_size=1536,
        num_attention_heads=6,
        num_hidden_layers=12,
        image_size=224,
        patch_size=16,
        layer_norm_eps=1e-6,
    )
    # all-MiniLM-L6-v2: 6 x 384, 12 heads, BERT vocabulary.
    embedder_config = BertConfig(
        vocab_size=30522,
        hidden_size=384,
        intermediate_size=1536,
        num_attention_heads=12,
        num_hidden_layers=6,
        max_position_embeddings=512,
    )
    from transformers import BertTokenizer

    with seeded(seed):
        clip = CLIPModel(clip_config)
        dino = ViTModel(dino_config, add_pooling_layer=False)
        embedder = BertModel(embedder_config)
    loaded = {
        "clip_metric": LoadedModel(clip, make_tiny_tokenizer(), "arch:clip-vit-base-patch32"),
        "dino": LoadedModel(dino, None, "arch:dino-vits16"),
        "sentence_embedder": LoadedModel(
            embedder, BertTokenizer(vocab=tiny_sentence_vocab()), "arch:all-MiniLM-L6-v2"
        ),
    }
    return MetricModels.from_loaded(loaded, device=device, dtype=dtype)
