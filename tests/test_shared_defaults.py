"""Facts that two layers must both state, because `db` and `handsoff_core` import nothing of
each other: each is written once per layer and held equal here."""

from __future__ import annotations

from db.models import CaptionKind
from db.models.methods import LABELLED_PARAMETER
from db.settings import Settings
from handsoff_core.data.records import MAX_INSTRUCTION_CHARS
from handsoff_core.images import DEFAULT_MAX_PIXELS
from handsoff_core.methods.registry import WEIGHT_PARAM
from handsoff_core.metrics import CAPTION_KINDS


def test_settings_defaults_are_the_limits_the_science_applies_without_settings() -> None:
    defaults = Settings.model_fields
    assert defaults["max_instruction_chars"].default == MAX_INSTRUCTION_CHARS
    assert defaults["max_image_pixels"].default == DEFAULT_MAX_PIXELS


def test_the_schema_names_what_the_science_names() -> None:
    assert tuple(kind.value for kind in CaptionKind) == tuple(CAPTION_KINDS)
    assert LABELLED_PARAMETER == WEIGHT_PARAM
