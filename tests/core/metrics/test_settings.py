"""MagicBrush's single-turn (all-turn) and multi-turn (final-turn) averages."""

from __future__ import annotations

import pytest

from handsoff_core.metrics import EvaluationSetting, TurnValue, summarise

VALUES = [
    TurnValue("30", 1, 0.2),
    TurnValue("139", 1, 0.1),
    TurnValue("139", 3, 0.5),
    TurnValue("139", 2, 0.3),
    TurnValue("149", 1, None),
]


def test_all_turn_averages_every_turn() -> None:
    summary = summarise(VALUES, EvaluationSetting.ALL_TURN)
    assert summary.mean == pytest.approx((0.2 + 0.1 + 0.5 + 0.3) / 4)
    assert (summary.count, summary.not_applicable) == (4, 1)


def test_final_turn_takes_each_sessions_last_turn() -> None:
    summary = summarise(VALUES, EvaluationSetting.FINAL_TURN)
    assert summary.mean == pytest.approx((0.2 + 0.5) / 2)
    assert (summary.count, summary.not_applicable) == (2, 1)


def test_nothing_applicable_gives_none_not_zero() -> None:
    summary = summarise([TurnValue("1", 1, None)], EvaluationSetting.ALL_TURN)
    assert summary.mean is None and summary.count == 0
