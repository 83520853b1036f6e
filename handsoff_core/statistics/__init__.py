"""Statistics of the paper's tables (METHOD.md s4-5), thin over maintained libraries.

- `bootstrap`: means with percentile (or BCa) bootstrap intervals, via `scipy.stats.bootstrap`;
- `proportions`: acceptability rates with Wilson score intervals, via statsmodels;
- `paired`: McNemar's test on per-item majority votes, via statsmodels (exact when the
  discordant pairs are few);
- `agreement`: Fleiss' kappa (statsmodels) and Krippendorff's alpha (`krippendorff`), and
  `agreement_summary`: both with bootstrap intervals over units, for report and admin page.

Every function either returns a finite number or raises `InsufficientData` saying why the
number does not exist (no values, one rater, every judgment identical ...): reports print
that reason instead of a silent zero.
"""

from handsoff_core.statistics.agreement import (
    Agreement,
    AgreementSummary,
    Coefficient,
    RatingTable,
    agreement_summary,
    fleiss_kappa_from_counts,
    krippendorff_alpha_from_counts,
)
from handsoff_core.statistics.bootstrap import (
    MeanEstimate,
    bootstrap_mean,
    bootstrap_means,
)
from handsoff_core.statistics.common import InsufficientData
from handsoff_core.statistics.paired import (
    DISCORDANT_EXACT_BELOW,
    McNemarResult,
    majority_vote,
    mcnemar_test,
)
from handsoff_core.statistics.proportions import Proportion, wilson_interval

__all__ = [
    "DISCORDANT_EXACT_BELOW",
    "Agreement",
    "AgreementSummary",
    "Coefficient",
    "InsufficientData",
    "McNemarResult",
    "MeanEstimate",
    "Proportion",
    "RatingTable",
    "agreement_summary",
    "bootstrap_mean",
    "bootstrap_means",
    "fleiss_kappa_from_counts",
    "krippendorff_alpha_from_counts",
    "majority_vote",
    "mcnemar_test",
    "wilson_interval",
]
