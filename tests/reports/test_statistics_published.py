"""The statistics against published worked examples (textbooks, papers, library docs),
never against the code's own output."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from handsoff_core.statistics import (
    InsufficientData,
    bootstrap_mean,
    bootstrap_means,
    fleiss_kappa_from_counts,
    krippendorff_alpha_from_counts,
    majority_vote,
    mcnemar_test,
    wilson_interval,
)

# --- Wilson score interval -------------------------------------------------------------
# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison
# of seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (score, no
# continuity correction), 95%.
NEWCOMBE_1998_WILSON = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
    (29, 29, 0.8830, 1.0000),
]


@pytest.mark.parametrize(("successes", "trials", "low", "high"), NEWCOMBE_1998_WILSON)
def test_wilson_interval_matches_newcombe_1998(
    successes: int, trials: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)
    assert interval.rate == pytest.approx(successes / trials)


def test_wilson_interval_refuses_zero_trials_and_impossible_counts() -> None:
    with pytest.raises(InsufficientData, match="no trials"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="successes <= trials"):
        wilson_interval(5, 3)


# --- McNemar ----------------------------------------------------------------------------
def test_mcnemar_chi_square_matches_agresti_presidential_approval() -> None:
    # Agresti, An Introduction to Categorical Data Analysis (2nd ed., 2007), Table 8.1:
    # approval of the President's performance in two surveys a month apart, n = 1600;
    # z = (86 - 150) / sqrt(86 + 150) = -4.17, z^2 = 17.36 (without continuity correction).
    result = mcnemar_test(
        both_acceptable=794, only_first=150, only_second=86, neither=570, exact=False
    )
    assert not result.exact
    # Our chi-square uses Edwards' correction: (|150 - 86| - 1)^2 / 236 = 16.82.
    assert result.statistic == pytest.approx(16.8178, abs=1e-4)
    assert result.p_value < 1e-4
    uncorrected = (150 - 86) ** 2 / (150 + 86)
    assert uncorrected == pytest.approx(17.36, abs=5e-3)


def test_mcnemar_matches_wikipedia_worked_example() -> None:
    # en.wikipedia.org/wiki/McNemar%27s_test, example: b = 121, c = 59; with Edwards'
    # continuity correction chi^2 = (|121 - 59| - 1)^2 / (121 + 59) = 20.67, p = 5.45e-6.
    result = mcnemar_test(both_acceptable=101, only_first=121, only_second=59, neither=33)
    assert not result.exact  # 180 discordant pairs: the chi-square approximation is fine
    assert result.statistic == pytest.approx(20.672, abs=1e-3)
    assert result.p_value == pytest.approx(5.45e-6, rel=0.01)


def test_mcnemar_is_exact_binomial_when_discordant_pairs_are_few() -> None:
    # Exact McNemar = two-sided sign test on the discordant pairs: b = 1, c = 9 gives
    # p = 2 * P(X <= 1 | Bin(10, 1/2)) = 2 * 11/1024 = 0.021484375 (any sign-test table).
    result = mcnemar_test(both_acceptable=10, only_first=1, only_second=9, neither=10)
    assert result.exact
    assert result.p_value == pytest.approx(22 / 1024, abs=1e-12)
    assert result.statistic == 1
    assert result.items == 30
    assert result.discordant == 10


def test_mcnemar_without_discordant_items_gives_p_one() -> None:
    result = mcnemar_test(both_acceptable=4, only_first=0, only_second=0, neither=3)
    assert result.exact
    assert result.p_value == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("acceptable", "judgments", "vote"),
    [(2, 3, True), (1, 3, False), (1, 2, None), (0, 0, None), (3, 3, True)],
)
def test_majority_vote_is_strict_and_ties_are_no_vote(
    acceptable: int, judgments: int, vote: bool | None
) -> None:
    assert majority_vote(acceptable, judgments) is vote


# --- Fleiss' kappa ----------------------------------------------------------------------
# Fleiss' kappa worked example (en.wikipedia.org/wiki/Fleiss%27_kappa; also statsmodels'
# documentation): 10 subjects, 14 raters, 5 categories; P = 0.378, Pe = 0.213, kappa = 0.210.
WIKIPEDIA_FLEISS_TABLE = [
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


def test_fleiss_kappa_matches_wikipedia_worked_example() -> None:
    result = fleiss_kappa_from_counts(WIKIPEDIA_FLEISS_TABLE)
    assert result.value == pytest.approx(0.210, abs=5e-4)
    assert result.units == 10
    assert result.ratings_per_unit == 14
    assert result.units_left_out == 0


def test_fleiss_kappa_leaves_out_units_with_another_number_of_ratings() -> None:
    # The same ten subjects plus two units rated by fewer annotators: kappa is unchanged and
    # the two are counted as left out.
    table = [*WIKIPEDIA_FLEISS_TABLE, [1, 1, 0, 0, 0], [0, 0, 3, 0, 0]]
    result = fleiss_kappa_from_counts(table)
    assert result.value == pytest.approx(0.210, abs=5e-4)
    assert result.units_left_out == 2


def test_fleiss_kappa_is_undefined_when_all_judgments_agree_on_one_category() -> None:
    with pytest.raises(InsufficientData, match="same category"):
        fleiss_kappa_from_counts([[0, 3], [0, 3]])
    with pytest.raises(InsufficientData, match="two or more ratings"):
        fleiss_kappa_from_counts([[1, 0], [0, 1]])


# --- Krippendorff's alpha ---------------------------------------------------------------
# Krippendorff K (2011), "Computing Krippendorff's Alpha-Reliability", section C: four
# coders, twelve units, values 1-5 with missing data; alpha nominal = 0.743.
KRIPPENDORFF_2011_RELIABILITY_DATA = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def _value_counts(reliability_data: list[list[int | None]], values: range) -> np.ndarray:
    units = len(reliability_data[0])
    counts = np.zeros((units, len(values)), dtype=int)
    for coder in reliability_data:
        for unit, value in enumerate(coder):
            if value is not None:
                counts[unit, values.index(value)] += 1
    return counts


def test_krippendorff_alpha_matches_krippendorff_2011_example() -> None:
    counts = _value_counts(KRIPPENDORFF_2011_RELIABILITY_DATA, range(1, 6))
    result = krippendorff_alpha_from_counts(counts)
    assert result.value == pytest.approx(0.743, abs=5e-4)
    # Unit 12 has a single rating: not pairable, left out.
    assert result.units == 11
    assert result.units_left_out == 1


def test_krippendorff_alpha_is_undefined_without_overlap_or_variation() -> None:
    with pytest.raises(InsufficientData, match="two or more ratings"):
        krippendorff_alpha_from_counts([[1, 0], [0, 1]])
    with pytest.raises(InsufficientData, match="same category"):
        krippendorff_alpha_from_counts([[2, 0], [3, 0]])


# --- Bootstrap --------------------------------------------------------------------------
# Efron & Tibshirani (1993), An Introduction to the Bootstrap, Table 2.1: the mouse data,
# treatment group; mean 86.86, standard error 25.24 (with n - 1). The ideal bootstrap
# standard error of the mean is the plug-in one, 25.24 * sqrt(6/7) = 23.36 (their s6.2).
MOUSE_TREATMENT = [94, 197, 16, 38, 99, 141, 23]


def test_bootstrap_standard_error_of_mouse_data_matches_efron_tibshirani() -> None:
    estimate = bootstrap_mean(MOUSE_TREATMENT, n_resamples=40_000, seed=7)
    assert estimate.mean == pytest.approx(86.86, abs=5e-3)
    assert estimate.standard_error == pytest.approx(23.36, rel=0.02)
    assert estimate.low is not None and estimate.high is not None
    assert estimate.low < estimate.mean < estimate.high
    assert estimate.n == 7


def test_shared_resamples_equal_scipy_per_column_bootstrap() -> None:
    # The weights trick must be exactly scipy's bootstrap of each column on its own.
    rng = np.random.default_rng(3)
    matrix = np.column_stack([rng.normal(size=60), rng.exponential(size=60), rng.random(60)])
    for method in ("percentile", "BCa"):
        ours = bootstrap_means(matrix, n_resamples=500, method=method, seed=11)
        for j, estimate in enumerate(ours):
            reference = stats.bootstrap(
                (matrix[:, j],),
                np.mean,
                n_resamples=500,
                method=method,
                rng=np.random.default_rng(11),
            )
            assert estimate.low == pytest.approx(reference.confidence_interval.low, rel=1e-9)
            assert estimate.high == pytest.approx(reference.confidence_interval.high, rel=1e-9)


def test_bootstrap_percentile_interval_approaches_the_normal_interval_for_large_n() -> None:
    # Central limit theorem: for n = 4000 normal values the percentile interval of the mean is
    # mean +- 1.96 s / sqrt(n) to within Monte Carlo error.
    values = np.random.default_rng(5).normal(10.0, 2.0, size=4000)
    estimate = bootstrap_mean(values, n_resamples=4000, seed=1)
    half_width = 1.959964 * values.std(ddof=1) / np.sqrt(values.size)
    assert estimate.low == pytest.approx(values.mean() - half_width, abs=0.1 * half_width)
    assert estimate.high == pytest.approx(values.mean() + half_width, abs=0.1 * half_width)


def test_bootstrap_handles_gaps_constants_single_values_and_refuses_empty_columns() -> None:
    nan = float("nan")
    matrix = np.array(
        [[1.0, 5.0, nan, nan], [2.0, 5.0, 4.0, 1.0], [3.0, 5.0, 6.0, nan], [4.0, 5.0, nan, nan]]
    )
    complete, constant, gappy, single = bootstrap_means(matrix, n_resamples=200)
    assert complete.mean == pytest.approx(2.5) and complete.n == 4
    assert (constant.low, constant.high) == (5.0, 5.0)
    assert constant.note is not None and "degenerate" in constant.note
    assert gappy.mean == pytest.approx(5.0) and gappy.n == 2
    assert gappy.low is not None and gappy.high is not None
    assert 4.0 <= gappy.low <= gappy.high <= 6.0
    assert single.n == 1 and single.mean == 1.0 and single.low is None
    assert single.note == "one value: no interval"
    with pytest.raises(InsufficientData, match=r"column\(s\) \[1\]"):
        bootstrap_means(np.array([[1.0, nan], [2.0, nan]]))
    with pytest.raises(ValueError, match="infinite"):
        bootstrap_mean([1.0, float("inf")])


def test_gappy_columns_resampled_with_the_others_agree_with_their_own_bootstrap() -> None:
    # A column missing 10% of its values, bootstrapped with a complete one (edits resampled),
    # gives the interval of a bootstrap over its own values, to Monte Carlo error.
    rng = np.random.default_rng(9)
    matrix = rng.normal(0.3, 0.05, size=(400, 2))
    matrix[rng.random(400) < 0.1, 1] = np.nan
    _, gappy = bootstrap_means(matrix, n_resamples=4000, seed=2)
    own = stats.bootstrap(
        (matrix[~np.isnan(matrix[:, 1]), 1],),
        np.mean,
        n_resamples=4000,
        rng=np.random.default_rng(2),
    )
    width = own.confidence_interval.high - own.confidence_interval.low
    assert gappy.low == pytest.approx(own.confidence_interval.low, abs=0.05 * width)
    assert gappy.high == pytest.approx(own.confidence_interval.high, abs=0.05 * width)
