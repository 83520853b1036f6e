"""Why a benchmark refused to go on: the command shows the message as one error line."""

from __future__ import annotations


class BenchRefused(ValueError):
    """A benchmark's inputs or outcome cannot give a meaningful figure (named in the text)."""
