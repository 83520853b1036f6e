"""Inter-annotator agreement on a yes/no question, for the admin page's "agreement so far".

Units (edits) may have different numbers of ratings while a study is running, so Fleiss'
kappa uses its unequal-raters form: per unit P_i = (sum_j n_ij^2 - n_i) / (n_i (n_i - 1)),
P-bar their mean, p_j = sum_i n_ij / sum_i n_i, P_e = sum_j p_j^2 (Fleiss 1971, eq. 1-5, with
n_i in place of a constant n). With equal raters it is exactly Fleiss' kappa. Krippendorff's
alpha (nominal) comes from the `krippendorff` package, which handles missing ratings.
Units with fewer than two ratings carry no agreement information and are left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Agreement:
    units: int  # units with at least two ratings
    ratings: int
    fleiss_kappa: float | None  # None when undefined (too few units, or one category only)
    krippendorff_alpha: float | None


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' kappa of a units x categories table of rating counts (unequal raters allowed)."""
    rows = [row for row in counts if sum(row) >= 2]
    if not rows:
        return None
    per_unit = [(sum(c * c for c in row) - sum(row)) / (sum(row) * (sum(row) - 1)) for row in rows]
    p_bar = sum(per_unit) / len(per_unit)
    total = sum(sum(row) for row in rows)
    categories = len(rows[0])
    p_e = sum((sum(row[j] for row in rows) / total) ** 2 for j in range(categories))
    if math.isclose(p_e, 1.0):
        return None
    return (p_bar - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(units: Sequence[Mapping[int, bool]]) -> float | None:
    """Krippendorff's alpha (nominal) of ratings given as {rater id: answer} per unit."""
    import krippendorff
    import numpy as np

    raters = sorted({rater for unit in units for rater in unit})
    if len(units) < 2 or len(raters) < 2:
        return None
    # reliability data: raters x units, NaN where a rater did not rate a unit
    data = np.full((len(raters), len(units)), np.nan)
    index = {rater: row for row, rater in enumerate(raters)}
    for column, unit in enumerate(units):
        for rater, answer in unit.items():
            data[index[rater], column] = float(answer)
    try:
        value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    except ValueError:  # one value in the whole domain: agreement undefined
        return None
    return None if math.isnan(value) else value


def agreement_of(units: Sequence[Mapping[int, bool]]) -> Agreement:
    """Agreement over units of {annotator id: acceptable}."""
    rated = [unit for unit in units if len(unit) >= 2]
    counts = [
        [sum(1 for a in unit.values() if a), sum(1 for a in unit.values() if not a)]
        for unit in rated
    ]
    return Agreement(
        units=len(rated),
        ratings=sum(len(unit) for unit in rated),
        fleiss_kappa=fleiss_kappa(counts),
        krippendorff_alpha=krippendorff_alpha_nominal(rated),
    )
