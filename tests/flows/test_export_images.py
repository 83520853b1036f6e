"""`handsoff export images`: the MagicBrush layout is read back by a reader that follows
MagicBrush's own file naming (evaluation/image_eval.py), and every index row's sha256 is
its file's."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from pathlib import Path

from PIL import Image
from sqlalchemy import Engine

from flows.report.assemble import build_report
from flows.report.options import ReportOptions
from tests.flows.helpers import invoke_cli


def _digits(name: str) -> int:
    return int("".join(filter(str.isdigit, name)))


def _images(folder: Path) -> list[str]:
    names = [n for n in os.listdir(folder) if (".png" in n or ".jpg" in n) and "mask" not in n]
    assert names, folder
    return names


def magicbrush_all_turns(generated: Path, gt: Path) -> list[tuple[Path, Path]]:
    """MagicBrush's load_data / get_all_turn_imgs, restated: the same session folders on both
    sides; generated turns are the names with "_1" plus those with "inde_", gold turns those
    with "output", each sorted by the digits in their names; counts must match."""
    sessions = sorted(p.name for p in generated.iterdir() if p.is_dir())
    assert sessions == sorted(p.name for p in gt.iterdir() if p.is_dir())
    pairs = []
    for session in sessions:
        names = _images(generated / session)
        if len(names) == 1:
            assert "_1" in names[0]
            mine = names
        else:
            mine = [n for n in names if "_1" in n] + [n for n in names if "inde_" in n]
        mine.sort(key=_digits)
        gold = sorted((n for n in _images(gt / session) if "output" in n), key=_digits)
        assert len(mine) == len(gold), session
        pairs += [
            (generated / session / a, gt / session / b) for a, b in zip(mine, gold, strict=True)
        ]
    return pairs


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pixels(path: Path) -> bytes:
    """Decoded RGB pixels: an oracle's output is stored re-encoded, so its bytes may differ."""
    with Image.open(path) as image:
        return image.convert("RGB").tobytes()


def test_magicbrush_layout_reads_back_and_the_index_names_each_file(
    cli_engine: Engine,
    tmp_path: Path,
) -> None:
    code, output = invoke_cli(
        "run", "--dataset", "syn", "--methods", "identity", "--limit", "6", "--no-score", "--json"
    )
    assert code == 0, output
    run = json.loads(output)
    out = tmp_path / "export"
    code, output = invoke_cli("export", "images", str(out), "--run", str(run["run_id"]), "--json")
    assert code == 0, output
    exported = json.loads(output)
    labels = {c["method"]: c["label"] for c in run["configs"]}
    with (out / "index.csv").open(encoding="utf-8") as handle:
        index = list(csv.DictReader(handle))
    assert len(index) == exported["edits"] == run["planned"]
    for row in index:
        assert row["path"], row  # every session of the synthetic set is complete
        assert _sha(out / row["path"]) == row["image_sha256"]
    # the report's edits rows carry the same hashes (its edits.csv names the files)
    report = build_report(
        engine=cli_engine, run_id=run["run_id"], options=ReportOptions(include_rows=True)
    )
    frame = report.frames["edits"]
    assert dict(
        zip(frame["sample_external_id"] + "/" + frame["method"], frame["image_sha256"], strict=True)
    ) == {f"{r['sample']}/{r['config'].split('@')[0]}": r["image_sha256"] for r in index}
    for method, label in labels.items():
        folder = out / next(p.name for p in out.iterdir() if p.name.startswith(method + "@"))
        pairs = magicbrush_all_turns(folder / "generated", folder / "gt")
        assert len(pairs) == sum(1 for r in index if r["config"] == label)
        captions = json.loads((folder / "global_descriptions.json").read_text())
        for generated, gold in pairs:
            assert gold.name in captions[gold.parent.name]
            if method == "ground-truth":  # the target oracle's output is the gold image
                assert _pixels(generated) == _pixels(gold)
            elif "inde_" not in generated.name:  # the unedited source of a first turn: the input
                assert _pixels(generated) == _pixels(gold.parent / f"{gold.parent.name}-input.png")


def test_folder_layout_and_refusals(cli_engine: Engine, tmp_path: Path) -> None:
    code, output = invoke_cli(
        "run", "--dataset", "syn", "--methods", "identity", "--limit", "2", "--no-score", "--json"
    )
    run_id = json.loads(output)["run_id"]
    out = tmp_path / "flat"
    code, output = invoke_cli(
        "export", "images", str(out), "--run", str(run_id), "--layout", "folder"
    )
    assert code == 0, output
    pngs = sorted(p.relative_to(out).parts[0] for p in out.rglob("*.png"))
    assert {"input", "target"} <= set(pngs) and len([p for p in pngs if "@" in p]) == 4
    code, output = invoke_cli("export", "images", str(out), "--run", str(run_id))
    assert code != 0 and "is not an empty folder" in output
    code, output = invoke_cli(
        "export", "images", str(tmp_path / "x"), "--run", str(run_id), "--layout", "zip"
    )
    assert code != 0 and "unknown layout 'zip'" in output
