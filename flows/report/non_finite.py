"""Old metric rows with a non-finite value (inf, NaN) are left out of a report, with a note.

Scoring stores such values as not applicable (db/queries/metrics.py), but rows written
before that rule, or by other tools, may hold them; one of them would turn a mean into
inf/NaN or break a bootstrap."""

from __future__ import annotations

import numpy as np
import pandas as pd


def drop_non_finite(frame: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """(the frame without rows whose value is stored but not finite, a note or None)."""
    if frame.empty:
        return frame, None
    values = frame["value"].to_numpy(dtype=np.float64)
    # A not-applicable row has no value (NaN here) and a reason: that is not an odd value.
    odd = ~np.isfinite(values) & frame["not_applicable"].isna().to_numpy()
    if not odd.any():
        return frame, None
    skipped = frame[odd]
    by_metric = ", ".join(
        f"{metric} {count}"
        for metric, count in skipped["metric"].value_counts().sort_index().items()
    )
    note = (
        f"{int(odd.sum())} stored metric values are not finite (inf or NaN) and are left out "
        f"of every figure ({by_metric})"
    )
    return frame[~odd].reset_index(drop=True), note
