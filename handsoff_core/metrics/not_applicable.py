"""A metric that does not apply to an item (no mask, no target, no caption, ...).

Metric functions raise `NotApplicable` with the reason; the API turns it into a value of
None with that reason. A metric that does not apply is never recorded as 0.
"""

from __future__ import annotations


class NotApplicable(Exception):
    """This metric cannot be computed for this item; `reason` says why, for the record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
