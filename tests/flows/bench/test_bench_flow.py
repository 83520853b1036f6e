"""`handsoff bench flow` at its smallest: one sample, one run per path. Both paths edit the
same items, and the sweep's cache counters show the later weights reusing the first's
captions, rewrites and latents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.bench.sweep_weights import SWEEP_WEIGHTS
from flows.cli.app import build_app


def test_bench_flow_times_both_paths_and_counts_sweep_cache_hits(
    prefect_harness: None, tiny_models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    outcome = CliRunner().invoke(
        build_app(),
        ["bench", "flow", "--n", "1", "--size", "32", "--repeats", "1", "--json"],
    )
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    assert (result["n"], result["repeats"], result["profile"]) == (1, 1, "tiny")
    assert result["plain_s"] > 0 and result["prefect_s"] > 0
    assert result["ratio"] == pytest.approx(result["prefect_s"] / result["plain_s"])
    assert result["plain_cpu_s"] > 0 and result["prefect_cpu_s"] > 0
    assert result["edits"] >= 1  # Hands-off plus the oracles on the one sample
    assert result["sweep_s"] > 0 and result["shared_sweep_s"] is None
    # One sample, one config per weight: the first weight misses, the others hit.
    for kind, stats in result["sweep_cache"].items():
        assert stats["hits"] + stats["misses"] >= len(SWEEP_WEIGHTS), kind
        assert stats["hits"] >= 1, kind
