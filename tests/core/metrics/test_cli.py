"""`handsoff score-images` and `handsoff bench metrics` with the tiny profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from flows.cli.app import build_app

from .photo_like import photo_like


@pytest.fixture()
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_models_dir: Path) -> Path:
    monkeypatch.setenv("HANDSOFF_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HANDSOFF_MODELS_DIR", str(tiny_models_dir))
    monkeypatch.setenv("HANDSOFF_DEVICE", "cpu")
    photo_like(64, 48, seed=1).save(tmp_path / "source.png")
    photo_like(64, 48, seed=2).save(tmp_path / "target.png")
    photo_like(32, 32, seed=3).convert("RGBA").save(tmp_path / "edit.png")  # other size, alpha
    mask = Image.new("L", (64, 48))
    mask.paste(255, (8, 8, 24, 24))
    mask.save(tmp_path / "mask.png")
    Image.new("L", (10, 10)).save(tmp_path / "small-mask.png")
    return tmp_path


def test_score_images_json_reports_every_metric(cli_env: Path) -> None:
    result = CliRunner().invoke(
        build_app(),
        [
            "score-images", str(cli_env / "edit.png"), "--source", str(cli_env / "source.png"),
            "--target", str(cli_env / "target.png"), "--mask", str(cli_env / "mask.png"),
            "--caption", "a red sofa", "--caption-kind", "local", "--profile", "tiny", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    values = {(v["metric"], v["caption_kind"]): v for v in payload["values"]}
    assert values[("clip-t", "local")]["value"] is not None
    assert values[("clip-t", "global")]["not_applicable"] == "no gold global caption"
    assert values[("clip-i", "none")]["version"].startswith("clip-i/1+tiny:clip@")
    assert 0.0 < values[("l1", "none")]["value"] < 1.0
    assert values[("caption-bleu", "global")]["not_applicable"] == "no gold output caption"
    assert "tiny profile: random weights, output is noise" in payload["notes"]


def test_score_images_refuses_a_mask_of_the_wrong_size(cli_env: Path) -> None:
    result = CliRunner().invoke(
        build_app(),
        [
            "score-images", str(cli_env / "edit.png"), "--source", str(cli_env / "source.png"),
            "--mask", str(cli_env / "small-mask.png"), "--profile", "tiny",
        ],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "mask is 10x10 but its image is 64x48" in result.output


def test_bench_metrics_prints_a_rate_per_metric_and_batch(cli_env: Path) -> None:
    result = CliRunner().invoke(
        build_app(),
        [
            "bench", "metrics", "--profile", "tiny", "--items", "2", "--size", "32",
            "--batch-sizes", "1,2", "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    rows = {(r["metric"], r["batch_size"]) for r in payload["results"]}
    assert ("clip-i", 1) in rows and ("clip-i", 2) in rows and ("l1", None) in rows
    assert all(r["edits_per_s"] > 0 for r in payload["results"])
