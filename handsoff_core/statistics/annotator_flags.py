"""Flags for annotators whose answers deserve a look (docs/study.md, "Administration").

Three checks, each with the count it rests on and a verdict only when that count suffices:

- **gold accuracy** below a threshold: the share of gold verdicts matching the expected
  answer (the unedited source is unacceptable, the dataset's target acceptable);
- **implausibly fast**: the median seconds per submitted item below a threshold;
- **agreement with the majority no better than chance**: on every edit the annotator judged
  that at least one other annotator judged too, the majority verdict of the others (ties
  left out) is compared with the annotator's. Under independence the agreement expected by
  chance, given the base rates, is ``p*q + (1-p)*(1-q)`` (p: the annotator's share of
  "acceptable", q: the majority's, over the same edits), as in Cohen's kappa. A one-sided
  exact binomial test (``scipy.stats.binomtest``, alternative "greater") asks whether the
  agreement exceeds that rate; the annotator is flagged when it cannot be shown to
  (p-value at or above alpha). An annotator who always gives the same answer is flagged
  too: their agreement is exactly what the base rates predict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from scipy.stats import binomtest

Unit = TypeVar("Unit")


@dataclass(frozen=True)
class FlagThresholds:
    # Two gold items judged, four verdicts: one wrong verdict leaves 75%, which is kept.
    min_gold_accuracy: float = 0.75
    # One gold item (two verdicts) is enough to show a problem, not to clear anyone.
    min_gold_judgments: int = 2
    # Looking at three images and answering three questions takes longer than 2 s.
    min_median_seconds: float = 2.0
    # A median of fewer items says little.
    min_timed_items: int = 3
    # The conventional one-sided level.
    agreement_alpha: float = 0.05
    # Fewer edits say too little: even perfect agreement on n edits has p = chance**n, so
    # at a chance rate of one half it takes 5 edits to reach 5%, at three quarters 11.
    min_agreement_units: int = 10


@dataclass(frozen=True)
class GoldCheck:
    correct: int
    judged: int
    accuracy: float | None  # None without gold verdicts
    flagged: bool


@dataclass(frozen=True)
class SpeedCheck:
    items: int
    median_seconds: float | None  # None without timed items
    flagged: bool


@dataclass(frozen=True)
class MajorityAgreement:
    units: int  # edits compared (the others' majority was not a tie)
    agreements: int
    chance: float | None  # None without units
    p_value: float | None  # one-sided binomial test; None below the minimum of units
    flagged: bool

    @property
    def rate(self) -> float | None:
        return self.agreements / self.units if self.units else None


@dataclass(frozen=True)
class AnnotatorFlags:
    gold: GoldCheck
    speed: SpeedCheck
    majority: MajorityAgreement

    @property
    def reasons(self) -> tuple[str, ...]:
        """The flags raised, in words."""
        return tuple(
            reason
            for reason, raised in (
                ("low gold accuracy", self.gold.flagged),
                ("implausibly fast", self.speed.flagged),
                ("agreement no better than chance", self.majority.flagged),
            )
            if raised
        )


def gold_check(correct: int, judged: int, thresholds: FlagThresholds) -> GoldCheck:
    if not 0 <= correct <= judged:
        raise ValueError(f"need 0 <= correct <= judged, got {correct} of {judged}")
    accuracy = correct / judged if judged else None
    flagged = (
        accuracy is not None
        and judged >= thresholds.min_gold_judgments
        and accuracy < thresholds.min_gold_accuracy
    )
    return GoldCheck(correct, judged, accuracy, flagged)


def speed_check(
    median_seconds: float | None, timed_items: int, thresholds: FlagThresholds
) -> SpeedCheck:
    """`median_seconds` over `timed_items` items (the figure the overview shows)."""
    if timed_items < 0 or (median_seconds is not None and median_seconds < 0):
        raise ValueError(
            f"need a non-negative time and count, got {median_seconds} over {timed_items}"
        )
    if (median_seconds is None) != (timed_items == 0):
        raise ValueError(f"a median of {median_seconds} s over {timed_items} items cannot be")
    flagged = (
        median_seconds is not None
        and timed_items >= thresholds.min_timed_items
        and median_seconds < thresholds.min_median_seconds
    )
    return SpeedCheck(timed_items, median_seconds, flagged)


def majority_of(votes: Sequence[bool]) -> bool | None:
    """The majority verdict, or None for a tie or no votes."""
    yes = sum(votes)
    no = len(votes) - yes
    return None if yes == no else yes > no


def majority_agreement(
    own: Mapping[Unit, bool],
    others: Mapping[Unit, Sequence[bool]],
    thresholds: FlagThresholds,
) -> MajorityAgreement:
    """The annotator's verdicts `own` against the majority of `others` per unit."""
    pairs = []
    for unit, verdict in own.items():
        majority = majority_of(others.get(unit, ()))
        if majority is not None:
            pairs.append((verdict, majority))
    units = len(pairs)
    agreements = sum(verdict == majority for verdict, majority in pairs)
    if not units:
        return MajorityAgreement(0, 0, None, None, False)
    p = sum(verdict for verdict, _ in pairs) / units
    q = sum(majority for _, majority in pairs) / units
    chance = p * q + (1 - p) * (1 - q)
    if units < thresholds.min_agreement_units:
        return MajorityAgreement(units, agreements, chance, None, False)
    p_value = float(binomtest(agreements, units, chance, alternative="greater").pvalue)
    return MajorityAgreement(
        units, agreements, chance, p_value, flagged=p_value >= thresholds.agreement_alpha
    )


def annotator_flags(
    *,
    gold_correct: int,
    gold_judged: int,
    median_seconds: float | None,
    timed_items: int,
    own_verdicts: Mapping[Unit, bool],
    others_verdicts: Mapping[Unit, Sequence[bool]],
    thresholds: FlagThresholds | None = None,
) -> AnnotatorFlags:
    thresholds = thresholds or FlagThresholds()
    return AnnotatorFlags(
        gold=gold_check(gold_correct, gold_judged, thresholds),
        speed=speed_check(median_seconds, timed_items, thresholds),
        majority=majority_agreement(own_verdicts, others_verdicts, thresholds),
    )
