"""Rates with Wilson score intervals (statsmodels' `proportion_confint(method="wilson")`).

Wilson's interval keeps its coverage near the nominal level for small n and for rates near
0 or 1, where the textbook normal ("Wald") interval fails (Newcombe 1998); the paper's
acceptability rates (33% vs 24%) are such proportions.
"""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint

from handsoff_core.statistics.common import InsufficientData


@dataclass(frozen=True)
class Proportion:
    successes: int
    trials: int
    rate: float
    low: float
    high: float
    confidence: float


def wilson_interval(successes: int, trials: int, *, confidence: float = 0.95) -> Proportion:
    """`successes` out of `trials` with its Wilson score interval."""
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        raise InsufficientData("no trials: the rate is undefined")
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method="wilson")
    return Proportion(
        successes=successes,
        trials=trials,
        rate=successes / trials,
        low=float(low),
        high=float(high),
        confidence=confidence,
    )
