"""McNemar's test for two methods judged on the same items (statsmodels' `mcnemar`).

Each item gets one vote per method: the majority of its annotators' acceptability
judgments. The 2x2 table counts items by (method A acceptable?, method B acceptable?); only
the discordant cells (A yes & B no: `b`; A no & B yes: `c`) carry information. With few
discordant items the chi-square approximation is poor, so below `DISCORDANT_EXACT_BELOW`
(b + c < 25, the usual rule) the exact binomial test is used; above it the chi-square
statistic with Edwards' continuity correction.
"""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.contingency_tables import mcnemar

DISCORDANT_EXACT_BELOW = 25


@dataclass(frozen=True)
class McNemarResult:
    both_acceptable: int  # a
    only_first: int  # b: first method acceptable, second not
    only_second: int  # c
    neither: int  # d
    statistic: float  # min(b, c) for the exact test, chi-square otherwise
    p_value: float
    exact: bool

    @property
    def items(self) -> int:
        return self.both_acceptable + self.only_first + self.only_second + self.neither

    @property
    def discordant(self) -> int:
        return self.only_first + self.only_second


def mcnemar_test(
    *,
    both_acceptable: int,
    only_first: int,
    only_second: int,
    neither: int,
    exact: bool | None = None,
) -> McNemarResult:
    """McNemar's test; `exact=None` picks exact when b + c < DISCORDANT_EXACT_BELOW."""
    cells = (both_acceptable, only_first, only_second, neither)
    if min(cells) < 0:
        raise ValueError(f"negative count in the McNemar table {cells}")
    use_exact = (only_first + only_second < DISCORDANT_EXACT_BELOW) if exact is None else exact
    table = [[both_acceptable, only_first], [only_second, neither]]
    result = mcnemar(table, exact=use_exact, correction=True)
    return McNemarResult(
        both_acceptable=both_acceptable,
        only_first=only_first,
        only_second=only_second,
        neither=neither,
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        exact=use_exact,
    )


def majority_vote(acceptable: int, judgments: int) -> bool | None:
    """The item's verdict from its judgments: True/False by strict majority, None on a tie
    or without judgments (such items are left out of the paired test, and counted)."""
    if judgments <= 0 or 2 * acceptable == judgments:
        return None
    return 2 * acceptable > judgments
