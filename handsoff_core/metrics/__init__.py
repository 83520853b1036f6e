"""Metrics of instruction-guided image edits, usable without any database.

MagicBrush's five (`evaluation/image_eval.py`): L1, L2, CLIP-I, DINO, CLIP-T (against the
global and the local gold caption); preservation outside the edit mask (L1, PSNR, SSIM); and
caption quality of the rewriter (BLEU, embedding cosine). Every metric is one `MetricSpec` in
the registry (`registry.py`); every value carries a version that changes with its definition
or model. See docs/method.md s4 and each module's docstring.

    from handsoff_core.metrics import EditToScore, MetricModels, score_edits
    models = MetricModels.from_profile(profile, device="cuda")
    values = score_edits([EditToScore(item_id="327726-2", edit=out, source=src, target=tgt,
                                      mask=mask, global_caption="...", local_caption="...")],
                         models)

The names below are imported on first use, so that the registry (read by the report and the
run digest) can be imported without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handsoff_core.metrics.api import score_edit, score_edits
    from handsoff_core.metrics.models import LoadedModel, MetricModels
    from handsoff_core.metrics.not_applicable import NotApplicable
    from handsoff_core.metrics.records import EditToScore, MetricValue
    from handsoff_core.metrics.registry import metric_spec, register_metric
    from handsoff_core.metrics.settings import (
        EvaluationSetting,
        SettingSummary,
        TurnValue,
        summarise,
    )
    from handsoff_core.metrics.specs import MetricSpec
    from handsoff_core.metrics.versions import (
        ALL_METRICS,
        CAPTION_KINDS,
        MODEL_FREE_METRICS,
        CaptionKind,
        metric_version,
    )

_HOME = {
    "score_edit": "api",
    "score_edits": "api",
    "LoadedModel": "models",
    "MetricModels": "models",
    "NotApplicable": "not_applicable",
    "EditToScore": "records",
    "MetricValue": "records",
    "MetricSpec": "specs",
    "metric_spec": "registry",
    "register_metric": "registry",
    "EvaluationSetting": "settings",
    "SettingSummary": "settings",
    "TurnValue": "settings",
    "summarise": "settings",
    "ALL_METRICS": "versions",
    "CAPTION_KINDS": "versions",
    "MODEL_FREE_METRICS": "versions",
    "CaptionKind": "versions",
    "metric_version": "versions",
}

__all__ = [
    "ALL_METRICS",
    "CAPTION_KINDS",
    "MODEL_FREE_METRICS",
    "CaptionKind",
    "EditToScore",
    "EvaluationSetting",
    "LoadedModel",
    "MetricModels",
    "MetricSpec",
    "MetricValue",
    "NotApplicable",
    "SettingSummary",
    "TurnValue",
    "metric_spec",
    "metric_version",
    "register_metric",
    "score_edit",
    "score_edits",
    "summarise",
]  # the keys of _HOME


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
