"""Metrics of instruction-guided image edits, usable without any database.

MagicBrush's five (`evaluation/image_eval.py`): L1, L2, CLIP-I, DINO, CLIP-T (against the
global and the local gold caption); preservation outside the edit mask (L1, PSNR, SSIM); and
caption quality of the rewriter (BLEU, embedding cosine). Every value carries a version that
changes with its definition or model. See docs/method.md s4 and each module's docstring.

    from handsoff_core.metrics import EditToScore, MetricModels, score_edits
    models = MetricModels.from_profile(profile, device="cuda")
    values = score_edits([EditToScore(item_id="327726-2", edit=out, source=src, target=tgt,
                                      mask=mask, global_caption="...", local_caption="...")],
                         models)
"""

from handsoff_core.metrics.api import score_edit, score_edits
from handsoff_core.metrics.models import LoadedModel, MetricModels
from handsoff_core.metrics.not_applicable import NotApplicable
from handsoff_core.metrics.records import EditToScore, MetricValue
from handsoff_core.metrics.settings import EvaluationSetting, SettingSummary, TurnValue, summarise
from handsoff_core.metrics.versions import (
    ALL_METRICS,
    CAPTION_KINDS,
    MODEL_FREE_METRICS,
    CaptionKind,
    metric_version,
)

__all__ = [
    "ALL_METRICS",
    "CAPTION_KINDS",
    "MODEL_FREE_METRICS",
    "CaptionKind",
    "EditToScore",
    "EvaluationSetting",
    "LoadedModel",
    "MetricModels",
    "MetricValue",
    "NotApplicable",
    "SettingSummary",
    "TurnValue",
    "metric_version",
    "score_edit",
    "score_edits",
    "summarise",
]
