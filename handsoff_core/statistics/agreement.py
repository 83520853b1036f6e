"""Inter-annotator agreement on nominal judgments: Fleiss' kappa (statsmodels) and
Krippendorff's alpha (the `krippendorff` package).

Both take a units x categories table of counts: row u says how many annotators put unit u
(one edit of one item) into each category (for acceptability: [no, yes]). Fleiss' kappa
assumes the same number of ratings per unit, so units rated by another number of
annotators than the most common one are left out, and counted; Krippendorff's alpha copes
with missing ratings and uses every unit with at least two.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import krippendorff
import numpy as np
from numpy.typing import ArrayLike
from statsmodels.stats.inter_rater import fleiss_kappa

from handsoff_core.statistics.common import InsufficientData


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


def fleiss_kappa_from_counts(counts: ArrayLike) -> Agreement:
    """Fleiss' kappa (Fleiss 1971) over the units rated by the most common number of
    annotators (at least two)."""
    table = _counts_table(counts)
    ratings = table.sum(axis=1)
    rated = ratings[ratings >= 2]
    if rated.size == 0:
        raise InsufficientData("no unit has two or more ratings: kappa needs overlap")
    # Most common number of ratings; ties go to the larger number (more information per unit).
    frequency = Counter(rated.tolist())
    raters = max(frequency, key=lambda k: (frequency[k], k))
    kept = table[ratings == raters]
    category_shares = kept.sum(axis=0) / kept.sum()
    if np.isclose(category_shares.max(), 1.0):
        raise InsufficientData("every judgment is in the same category: kappa is undefined")
    value = float(fleiss_kappa(kept, method="fleiss"))
    return Agreement(
        value=value,
        units=int(kept.shape[0]),
        units_left_out=int(table.shape[0] - kept.shape[0]),
        ratings_per_unit=int(raters),
    )


def krippendorff_alpha_from_counts(counts: ArrayLike) -> Agreement:
    """Krippendorff's alpha, nominal level, over every unit with two or more ratings."""
    table = _counts_table(counts)
    pairable = table[table.sum(axis=1) >= 2]
    if pairable.shape[0] == 0:
        raise InsufficientData("no unit has two or more ratings: alpha needs overlap")
    used = pairable.sum(axis=0)
    if (used > 0).sum() < 2:
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
