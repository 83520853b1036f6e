"""Inter-annotator agreement on nominal judgments: Fleiss' kappa (statsmodels) and
Krippendorff's alpha (the `krippendorff` package), with bootstrap intervals over units.

Both take a units x categories table of counts: row u says how many annotators put unit u
(one edit of one item) into each category (for acceptability: [no, yes]). A unit rated by
fewer than two annotators carries no agreement information and is left out of both.
Fleiss' kappa assumes the same number of ratings per unit (statsmodels checks it), so it
uses the units rated by the most common number of annotators, and says how many those are;
Krippendorff's alpha copes with missing ratings and uses every unit with two or more.

`agreement_summary` is the one function the report and the admin page call: both
coefficients, a percentile bootstrap interval for each over its own units (units drawn
with replacement, a fixed seed, so the same table always gives the same interval), and the
ids of the units each one used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import krippendorff
import numpy as np
from numpy.typing import ArrayLike
from statsmodels.stats.inter_rater import fleiss_kappa

from handsoff_core.statistics.bootstrap import DEFAULT_RESAMPLES
from handsoff_core.statistics.common import InsufficientData

FLEISS = "Fleiss' kappa"
ALPHA = "Krippendorff's alpha (nominal)"


@dataclass(frozen=True)
class Agreement:
    value: float
    units: int  # units that entered the statistic
    units_left_out: int  # units with another number of ratings (Fleiss) or fewer than two
    ratings_per_unit: int | None  # Fleiss: the common number of ratings; alpha: None


def _counts_table(counts: ArrayLike) -> np.ndarray:
    table = np.asarray(counts, dtype=np.float64)
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"expected a units x categories table of counts, got {table.shape}")
    if (table < 0).any() or not np.array_equal(table, np.round(table)):
        raise ValueError("counts must be non-negative integers")
    return table.astype(np.int64)


def _fleiss_units(table: np.ndarray) -> tuple[np.ndarray, int]:
    """Which rows Fleiss' kappa uses (a boolean mask) and their common number of ratings."""
    ratings = table.sum(axis=1)
    rated = ratings[ratings >= 2]
    if rated.size == 0:
        raise InsufficientData("no unit has two or more ratings: kappa needs overlap")
    # Most common number of ratings; ties go to the larger number (more information per unit).
    frequency = Counter(rated.tolist())
    raters = max(frequency, key=lambda k: (frequency[k], k))
    return ratings == raters, int(raters)


def _one_category(table: np.ndarray) -> bool:
    return int((table.sum(axis=0) > 0).sum()) < 2


def fleiss_kappa_from_counts(counts: ArrayLike) -> Agreement:
    """Fleiss' kappa (Fleiss 1971) over the units rated by the most common number of
    annotators (at least two)."""
    table = _counts_table(counts)
    mask, raters = _fleiss_units(table)
    kept = table[mask]
    if _one_category(kept):
        raise InsufficientData("every judgment is in the same category: kappa is undefined")
    value = float(fleiss_kappa(kept, method="fleiss"))
    return Agreement(
        value=value,
        units=int(kept.shape[0]),
        units_left_out=int(table.shape[0] - kept.shape[0]),
        ratings_per_unit=raters,
    )


def krippendorff_alpha_from_counts(counts: ArrayLike) -> Agreement:
    """Krippendorff's alpha, nominal level, over every unit with two or more ratings."""
    table = _counts_table(counts)
    pairable = table[table.sum(axis=1) >= 2]
    if pairable.shape[0] == 0:
        raise InsufficientData("no unit has two or more ratings: alpha needs overlap")
    if _one_category(pairable):
        raise InsufficientData("every judgment is in the same category: alpha is undefined")
    value = float(
        krippendorff.alpha(value_counts=pairable.astype(float), level_of_measurement="nominal")
    )
    return Agreement(
        value=value,
        units=int(pairable.shape[0]),
        units_left_out=int(table.shape[0] - pairable.shape[0]),
        ratings_per_unit=None,
    )


class RatingTable(Protocol):
    """Counts of ratings per unit: row u of `counts` (one count per category, in a fixed
    order) belongs to the unit `unit_ids[u]`."""

    @property
    def unit_ids(self) -> Sequence[int]: ...

    @property
    def counts(self) -> Sequence[Sequence[int]]: ...


@dataclass(frozen=True)
class Coefficient:
    """One agreement coefficient with its bootstrap interval; `value` (or the interval) is
    None when it does not exist, and `reason` then says why."""

    statistic: str
    value: float | None
    low: float | None
    high: float | None
    unit_ids: tuple[int, ...]  # the units it was computed on
    ratings_per_unit: int | None  # Fleiss: the common number of ratings; alpha: None
    reason: str | None
    resamples: int  # bootstrap resamples in which the coefficient was defined
    undefined_resamples: int  # resamples with every rating in one category (left out)


@dataclass(frozen=True)
class AgreementSummary:
    unit_ids: tuple[int, ...]  # units with two or more ratings, in table order
    units_left_out: int  # units of the table with fewer than two ratings
    ratings: int  # ratings on those units
    fleiss: Coefficient
    alpha: Coefficient
    confidence: float
    n_boot: int
    seed: int

    @property
    def units(self) -> int:
        return len(self.unit_ids)

    @property
    def fleiss_kappa(self) -> float | None:
        return self.fleiss.value

    @property
    def krippendorff_alpha(self) -> float | None:
        return self.alpha.value


def agreement_summary(
    table: RatingTable,
    *,
    n_boot: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
) -> AgreementSummary:
    """Fleiss' kappa and Krippendorff's alpha of `table`, each with a percentile bootstrap
    interval over the units it uses (`n_boot` resamples drawn by `seed`)."""
    ids = tuple(int(unit) for unit in table.unit_ids)
    rows = [list(row) for row in table.counts]
    if len(ids) != len(rows):
        raise ValueError(f"{len(ids)} unit ids for {len(rows)} rows of counts")
    if len(set(ids)) != len(ids):
        raise ValueError("unit ids must be unique")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    counts = _counts_table(rows) if rows else np.zeros((0, 2), dtype=np.int64)
    pairable = counts.sum(axis=1) >= 2
    unit_ids = np.asarray(ids, dtype=np.int64)
    try:
        fleiss_mask, raters = _fleiss_units(counts)
    except InsufficientData:
        fleiss_mask, raters = np.zeros(len(ids), dtype=bool), None
    fleiss = _coefficient(
        FLEISS, counts[fleiss_mask], unit_ids[fleiss_mask], raters, n_boot, seed, confidence
    )
    alpha = _coefficient(
        ALPHA, counts[pairable], unit_ids[pairable], None, n_boot, seed, confidence
    )
    return AgreementSummary(
        unit_ids=tuple(int(u) for u in unit_ids[pairable]),
        units_left_out=int((~pairable).sum()),
        ratings=int(counts[pairable].sum()),
        fleiss=fleiss,
        alpha=alpha,
        confidence=confidence,
        n_boot=n_boot,
        seed=seed,
    )


def _fleiss_value(kept: np.ndarray) -> float:
    return float(fleiss_kappa(kept, method="fleiss"))


def _alpha_value(pairable: np.ndarray) -> float:
    return float(
        krippendorff.alpha(value_counts=pairable.astype(float), level_of_measurement="nominal")
    )


# statistic -> (its short name in reasons, the package call)
_COMPUTE: dict[str, tuple[str, Callable[[np.ndarray], float]]] = {
    FLEISS: ("kappa", _fleiss_value),
    ALPHA: ("alpha", _alpha_value),
}


def _coefficient(
    statistic: str,
    rows: np.ndarray,
    unit_ids: np.ndarray,
    ratings_per_unit: int | None,
    n_boot: int,
    seed: int,
    confidence: float,
) -> Coefficient:
    """The coefficient over `rows` and its percentile interval over resamples of them."""
    kind, compute = _COMPUTE[statistic]
    ids = tuple(int(u) for u in unit_ids)

    def without(value: float | None, reason: str, undefined: int = 0) -> Coefficient:
        return Coefficient(
            statistic, value, None, None, ids, ratings_per_unit, reason, 0, undefined
        )

    if rows.shape[0] == 0:
        return without(None, f"no unit has two or more ratings: {kind} needs overlap")
    if _one_category(rows):
        return without(None, f"every judgment is in the same category: {kind} is undefined")
    value = compute(rows)
    if rows.shape[0] < 2:
        return without(value, "one unit: no interval")
    draws = np.random.default_rng(seed).integers(0, rows.shape[0], size=(n_boot, rows.shape[0]))
    # A resample with every rating in one category has no coefficient: it is left out of
    # the percentiles and counted, so a reader sees how often that happened.
    values = [compute(rows[draw]) for draw in draws if not _one_category(rows[draw])]
    undefined = n_boot - len(values)
    if not values:
        return without(value, "every resample has one category only: no interval", undefined)
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.asarray(values), [tail, 1 - tail])
    return Coefficient(
        statistic,
        value,
        float(low),
        float(high),
        ids,
        ratings_per_unit,
        None,
        len(values),
        undefined,
    )
