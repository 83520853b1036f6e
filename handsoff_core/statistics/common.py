"""What the statistics functions share: the error that says a number does not exist."""

from __future__ import annotations

from handsoff_core.errors import HandsoffError


class InsufficientData(HandsoffError):
    """A statistic that cannot be computed from the data given; the message says why
    (for instance "no judgments", "one value: no interval")."""
