"""`agreement_summary`: Fleiss' kappa and Krippendorff's alpha with bootstrap intervals over
units, the one agreement function of the report and the admin page."""

from __future__ import annotations

from dataclasses import dataclass

import krippendorff
import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.inter_rater import fleiss_kappa

from handsoff_core.statistics import agreement_summary


@dataclass(frozen=True)
class Table:
    unit_ids: tuple[int, ...]
    counts: tuple[tuple[int, ...], ...]


def table(counts: list[list[int]], first_id: int = 100) -> Table:
    return Table(
        tuple(range(first_id, first_id + len(counts))), tuple(tuple(row) for row in counts)
    )


# Wikipedia's worked example of Fleiss' kappa (10 subjects, 14 raters, 5 categories): 0.210.
FLEISS_EXAMPLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def mixed_study(units: int = 40, seed: int = 5) -> list[list[int]]:
    """[no, yes] counts of 3 raters per unit, with a few units rated by 2, 1 or nobody."""
    rng = np.random.default_rng(seed)
    shares = rng.uniform(0.05, 0.95, size=units)
    raters = np.full(units, 3)
    raters[:4], raters[4:6], raters[6] = 2, 1, 0
    yes = rng.binomial(raters, shares)
    return [[int(n - y), int(y)] for n, y in zip(raters, yes, strict=True)]


def test_the_worked_example_and_its_interval() -> None:
    summary = agreement_summary(table(FLEISS_EXAMPLE), n_boot=500)
    assert summary.fleiss_kappa == pytest.approx(0.210, abs=5e-4)
    assert summary.fleiss.ratings_per_unit == 14
    assert summary.fleiss.low is not None and summary.fleiss.high is not None
    assert summary.fleiss.low < 0.210 < summary.fleiss.high
    assert summary.units == 10 and summary.ratings == 140


def test_units_stated_fleiss_on_the_common_rating_count_alpha_on_every_pair() -> None:
    counts = mixed_study()
    summary = agreement_summary(table(counts), n_boot=200)
    ids = np.arange(100, 100 + len(counts))
    ratings = np.array(counts).sum(axis=1)
    # Units rated by fewer than two annotators are left out of both, and named.
    assert summary.unit_ids == tuple(int(u) for u in ids[ratings >= 2])
    assert summary.units_left_out == int((ratings < 2).sum()) == 3
    assert summary.ratings == int(ratings[ratings >= 2].sum())
    assert summary.alpha.unit_ids == summary.unit_ids
    assert summary.fleiss.unit_ids == tuple(int(u) for u in ids[ratings == 3])
    assert summary.fleiss.ratings_per_unit == 3 and summary.alpha.ratings_per_unit is None
    # The values are the packages' own on exactly those units.
    kept = np.array(counts)[ratings == 3]
    pairable = np.array(counts)[ratings >= 2].astype(float)
    assert summary.fleiss_kappa == pytest.approx(fleiss_kappa(kept, method="fleiss"))
    alpha = krippendorff.alpha(value_counts=pairable, level_of_measurement="nominal")
    assert summary.krippendorff_alpha == pytest.approx(alpha)


def test_the_interval_is_a_percentile_bootstrap_over_units() -> None:
    counts = mixed_study(units=60, seed=11)
    summary = agreement_summary(table(counts), n_boot=3000, seed=1)
    pairable = np.array([row for row in counts if sum(row) >= 2], dtype=float)

    def alpha_of(rows: np.ndarray) -> float:
        return float(
            krippendorff.alpha(value_counts=pairable[rows], level_of_measurement="nominal")
        )

    reference = stats.bootstrap(
        (np.arange(len(pairable)),),
        alpha_of,
        n_resamples=3000,
        method="percentile",
        vectorized=False,
        rng=np.random.default_rng(99),
    ).confidence_interval
    assert summary.alpha.undefined_resamples == 0
    width = reference.high - reference.low
    assert summary.alpha.low == pytest.approx(reference.low, abs=0.15 * width)
    assert summary.alpha.high == pytest.approx(reference.high, abs=0.15 * width)
    assert summary.alpha.resamples == 3000


def test_same_table_same_seed_same_interval_whatever_the_row_order() -> None:
    counts = mixed_study()
    first = agreement_summary(table(counts), n_boot=300, seed=4)
    again = agreement_summary(table(counts), n_boot=300, seed=4)
    assert first == again
    other_seed = agreement_summary(table(counts), n_boot=300, seed=5)
    assert other_seed.fleiss_kappa == first.fleiss_kappa
    assert (other_seed.fleiss.low, other_seed.fleiss.high) != (first.fleiss.low, first.fleiss.high)
    order = np.random.default_rng(0).permutation(len(counts))
    shuffled = Table(tuple(100 + int(i) for i in order), tuple(tuple(counts[i]) for i in order))
    permuted = agreement_summary(shuffled, n_boot=300, seed=4)
    assert permuted.fleiss_kappa == pytest.approx(first.fleiss_kappa)
    assert permuted.krippendorff_alpha == pytest.approx(first.krippendorff_alpha)
    assert set(permuted.unit_ids) == set(first.unit_ids)


def test_no_number_where_agreement_does_not_exist() -> None:
    empty = agreement_summary(Table((), ()))
    assert empty.units == 0 and empty.fleiss_kappa is None and empty.krippendorff_alpha is None
    assert "two or more ratings" in str(empty.fleiss.reason)
    single = agreement_summary(table([[1, 0], [0, 1], [0, 0]]))
    assert single.fleiss_kappa is None and "overlap" in str(single.alpha.reason)
    unanimous = agreement_summary(table([[0, 3], [0, 3], [0, 2]]))
    assert unanimous.fleiss_kappa is None and unanimous.krippendorff_alpha is None
    assert "same category" in str(unanimous.fleiss.reason)
    one_unit = agreement_summary(table([[1, 1], [1, 0]]))
    assert one_unit.fleiss_kappa is not None and one_unit.fleiss.low is None
    assert one_unit.fleiss.reason == "one unit: no interval"


def test_resamples_with_one_category_are_left_out_and_counted() -> None:
    # Two of four units disagree; a resample of only unanimous-yes units has no kappa.
    summary = agreement_summary(table([[0, 2], [0, 2], [1, 1], [2, 0]]), n_boot=1000)
    assert summary.fleiss.undefined_resamples > 0
    assert summary.fleiss.resamples + summary.fleiss.undefined_resamples == 1000
    assert summary.fleiss.low is not None and summary.fleiss.high is not None
    assert summary.fleiss.low <= summary.fleiss_kappa <= summary.fleiss.high  # type: ignore[operator]


@pytest.mark.parametrize(
    ("unit_ids", "counts", "message"),
    [
        ((1, 2), ((1, 1),), "2 unit ids for 1 rows"),
        ((1, 1), ((1, 1), (2, 0)), "unique"),
        ((1,), ((-1, 2),), "non-negative"),
        ((1,), ((1.5, 2),), "non-negative integers"),
        ((1,), ((3,),), "units x categories"),
    ],
)
def test_bad_tables_are_refused_with_the_reason(
    unit_ids: tuple[int, ...], counts: tuple[tuple[float, ...], ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        agreement_summary(Table(unit_ids, counts))  # type: ignore[arg-type]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="n_boot"):
        agreement_summary(table(FLEISS_EXAMPLE), n_boot=0)
    with pytest.raises(ValueError, match="confidence"):
        agreement_summary(table(FLEISS_EXAMPLE), confidence=1.0)
