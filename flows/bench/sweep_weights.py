"""The edit weights every benchmark sweeps: the paper's sweep, one source for all of them."""

from __future__ import annotations

SWEEP_WEIGHTS = (0.5, 0.75, 1.0, 1.25)
