"""Evaluation flows, the study's command side, reports and benchmarks (see docs/architecture.md)."""

from pathlib import Path

# The checkout this code runs from: what deployments ship to workers and whose git state a
# run records.
REPO_ROOT = Path(__file__).resolve().parents[1]
