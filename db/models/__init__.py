"""Typed ORM models. Relationships never load implicitly (`lazy="raise"`): queries say what
they load."""

from db.models.caches import CacheEntry
from db.models.datasets import Dataset, Sample
from db.models.edits import Edit
from db.models.enums import (
    CaptionKind,
    EditStatus,
    GoldRole,
    JudgmentEventKind,
    PreferenceKind,
    RunStatus,
    Setting,
)
from db.models.images import Image
from db.models.methods import MethodConfig
from db.models.metrics import MetricValue
from db.models.runs import Run, RunMethodConfig
from db.models.study import (
    Annotator,
    Assignment,
    Judgment,
    Study,
    StudyItem,
    StudyOption,
)

__all__ = [
    "Annotator",
    "Assignment",
    "CacheEntry",
    "CaptionKind",
    "Dataset",
    "Edit",
    "EditStatus",
    "GoldRole",
    "Image",
    "Judgment",
    "JudgmentEventKind",
    "MethodConfig",
    "MetricValue",
    "PreferenceKind",
    "Run",
    "RunMethodConfig",
    "RunStatus",
    "Sample",
    "Setting",
    "Study",
    "StudyItem",
    "StudyOption",
]
