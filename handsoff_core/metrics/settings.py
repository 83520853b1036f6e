"""MagicBrush's two evaluation settings, and how a metric is averaged in each.

- single-turn ("all-turn"): every turn is edited from the *gold* input of that turn and
  scored against that turn's target; the score is the mean over all turns (MagicBrush's
  `all_turn_pairs`: sessions with more turns weigh more).
- multi-turn ("final-turn"): the turns of a session are applied one after another to the
  method's *own* previous output; only the last turn's output is scored, against the last
  target; the score is the mean over sessions (`final_turn_pairs`).

Which edits exist (gold-input vs iterated) is the evaluation flow's business; these helpers
only say which values count and average them. Values that are not applicable (None) are left
out and counted, never averaged in as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class EvaluationSetting(StrEnum):
    ALL_TURN = "all-turn"  # MagicBrush "single-turn"
    FINAL_TURN = "final-turn"  # MagicBrush "multi-turn"


@dataclass(frozen=True)
class TurnValue:
    """One metric value of one turn's edit (made in the setting being summarised)."""

    session_id: str
    turn_index: int  # 1-based, as in MagicBrush
    value: float | None


@dataclass(frozen=True)
class SettingSummary:
    setting: EvaluationSetting
    mean: float | None  # None when no value applies
    count: int  # values averaged
    not_applicable: int  # counted turns whose value was None


def counted_turns(values: Iterable[TurnValue], setting: EvaluationSetting) -> list[TurnValue]:
    """All turns (all-turn), or each session's highest turn (final-turn)."""
    turns = list(values)
    if setting is EvaluationSetting.ALL_TURN:
        return turns
    last: dict[str, TurnValue] = {}
    for turn in turns:
        if turn.session_id not in last or turn.turn_index > last[turn.session_id].turn_index:
            last[turn.session_id] = turn
    return list(last.values())


def summarise(values: Iterable[TurnValue], setting: EvaluationSetting) -> SettingSummary:
    """Mean of the values that count in `setting`, as MagicBrush averages them."""
    counted = counted_turns(values, setting)
    present = [t.value for t in counted if t.value is not None]
    mean = math.fsum(present) / len(present) if present else None
    return SettingSummary(setting, mean, len(present), len(counted) - len(present))
