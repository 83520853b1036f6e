"""A synthetic benchmark in the MagicBrush layout: drawn scenes, exact masks, true targets."""

from handsoff_core.data.synthetic.session import SyntheticSession, make_session, turn_counts
from handsoff_core.data.synthetic.writer import SyntheticSummary, write_synthetic_benchmark

__all__ = [
    "SyntheticSession",
    "SyntheticSummary",
    "make_session",
    "turn_counts",
    "write_synthetic_benchmark",
]
