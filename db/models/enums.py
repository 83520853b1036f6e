"""The closed vocabularies of the schema: every status, setting and kind column holds one of
these values, and a CHECK constraint (`one_of`) makes the database refuse anything else, so
a typo in a script cannot store a status no query counts.

The values are stored as plain strings (portable, readable in SQL); the enums are the one
place code names them.
"""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint


class RunStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"  # every edit done
    PARTIAL = "partial"  # finished, some edits failed
    FAILED = "failed"  # the run itself stopped with an error
    CANCELLED = "cancelled"  # stopped on request (`handsoff cancel`); `--resume` completes it


class EditStatus(enum.StrEnum):
    DONE = "done"
    FAILED = "failed"


class Setting(enum.StrEnum):
    """Single-turn: every turn edited from its gold input; multi-turn: from the method's own
    output of the previous turn (MagicBrush's two evaluation settings)."""

    SINGLE_TURN = "single-turn"
    MULTI_TURN = "multi-turn"


class CaptionKind(enum.StrEnum):
    """Which gold caption a metric value was computed against (CLIP-T has both)."""

    GLOBAL = "global"
    LOCAL = "local"
    NONE = "none"


class GoldRole(enum.StrEnum):
    """Gold options: the unedited source must be judged unacceptable, the dataset's target
    acceptable."""

    SOURCE = "gold_source"
    TARGET = "gold_target"


class PreferenceKind(enum.StrEnum):
    OPTION = "option"  # with `preferred_option_id`
    TIE = "tie"
    BOTH_BAD = "both_bad"


class JudgmentEventKind(enum.StrEnum):
    VERDICT = "verdict"
    PREFERENCE = "preference"
    SUBMIT = "submit"
    REOPEN = "reopen"


def one_of(column: str, values: type[enum.StrEnum], *, name: str | None = None) -> CheckConstraint:
    """CHECK (column IN (...)) named `<column>_known` (the metadata's naming convention adds
    `ck_<table>_`); NULL passes, as SQL's CHECK lets it, so nullable columns stay nullable."""
    listed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or f"{column}_known")
