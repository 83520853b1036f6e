"""Typed ORM models. Relationships never load implicitly (`lazy="raise"`): queries say what
they load."""

from db.models.caches import CacheEntry
from db.models.datasets import Dataset, Sample
from db.models.edits import Edit, EditStatus
from db.models.images import Image
from db.models.methods import MethodConfig
from db.models.metrics import MetricValue
from db.models.runs import Run, RunMethodConfig, RunStatus
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
    "Dataset",
    "Edit",
    "EditStatus",
    "Image",
    "Judgment",
    "MethodConfig",
    "MetricValue",
    "Run",
    "RunMethodConfig",
    "RunStatus",
    "Sample",
    "Study",
    "StudyItem",
    "StudyOption",
]
