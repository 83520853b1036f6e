"""The synthetic benchmark: deterministic, MagicBrush layout read by the unchanged reader,
masks that cover every changed pixel, descriptions that follow the scene."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from handsoff_core.data import (
    RejectedRecord,
    SampleRecord,
    ValidatedSample,
    read_dataset,
    validate_record,
)
from handsoff_core.data.synthetic import make_session, turn_counts, write_synthetic_benchmark
from handsoff_core.data.synthetic.scene import PALETTE, SHAPE_KINDS

SHAPE_NAME = re.compile(rf"\b({'|'.join(PALETTE)}) ({'|'.join(SHAPE_KINDS)})\b")
SIZE = 64  # small images keep the suite fast; one test checks the default 512


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "bench"
    write_synthetic_benchmark(out, sessions=12, seed=7, size=SIZE)
    return out


@pytest.fixture(scope="module")
def samples(benchmark: Path) -> list[ValidatedSample]:
    validated = []
    for record in read_dataset(benchmark):
        assert isinstance(record, SampleRecord), record
        result = validate_record(record)
        assert not isinstance(result, RejectedRecord), result
        validated.append(result)
    return validated


def test_same_seed_gives_byte_identical_files_whatever_the_workers(benchmark, tmp_path):
    again = tmp_path / "again"
    write_synthetic_benchmark(again, sessions=12, seed=7, size=SIZE, workers=2)
    assert tree_bytes(again) == tree_bytes(benchmark)


def test_another_seed_gives_other_scenes(benchmark, tmp_path):
    other = tmp_path / "other"
    write_synthetic_benchmark(other, sessions=12, seed=8, size=SIZE)
    ours, theirs = tree_bytes(benchmark), tree_bytes(other)
    assert ours["edit_sessions.json"] != theirs["edit_sessions.json"]
    assert ours["images/100001/100001-input.png"] != theirs["images/100001/100001-input.png"]


def test_turn_counts_are_1_to_3_at_magicbrush_test_ratio():
    counts = turn_counts(535, seed=0)
    assert (len(counts), sum(counts)) == (535, 1053)  # MagicBrush test: 535 sessions, 1,053 turns
    assert set(counts) == {1, 2, 3}
    assert counts != turn_counts(535, seed=1) and sorted(counts) == sorted(turn_counts(535, 1))
    for sessions in range(1, 40):
        small = turn_counts(sessions, seed=sessions)
        assert len(small) == sessions and set(small) <= {1, 2, 3}


def test_the_magicbrush_reader_reads_it_all_with_captions(benchmark, samples):
    sessions = json.loads((benchmark / "edit_sessions.json").read_text())
    assert len(sessions) == 12
    assert len(samples) == sum(len(turns) for turns in sessions.values())
    assert {len(turns) for turns in sessions.values()} == {1, 2, 3}
    metadata = json.loads((benchmark / "synthetic.json").read_text())
    assert (metadata["seed"], metadata["size"], metadata["turns"]) == (7, SIZE, len(samples))
    for sample in samples:
        record = sample.record
        assert sample.source.size == (SIZE, SIZE) and sample.mask is not None
        assert record.input_caption_global and record.output_caption_global
        assert record.output_caption_local and sample.instruction[0].isupper()
        # The DALL-E style mask path of the reader is the one exercised, and nothing else.
        assert sample.notes == ["mask: mask taken from the transparent region of a RGBA image"]


def test_each_turn_edits_the_previous_output(samples):
    by_id = {s.record.external_id: s.record for s in samples}
    for record in by_id.values():
        if record.turn_index > 1:
            previous = by_id[f"{record.session_id}-{record.turn_index - 1}"]
            assert previous.target is not None
            assert record.source.data == previous.target.data
            assert record.input_caption_global == previous.output_caption_global


def test_target_differs_from_source_only_inside_the_mask(samples):
    for sample in samples:
        source = np.asarray(sample.source, dtype=np.int16)
        target = np.asarray(sample.target, dtype=np.int16)
        inside = np.asarray(sample.mask) == 255  # (H, W) edited region
        changed = (source != target).any(axis=2)
        assert changed.any(), sample.record.external_id  # every turn edits something
        assert not (changed & ~inside).any(), sample.record.external_id


def test_mask_files_are_the_input_with_the_region_transparent(benchmark):
    mask = Image.open(benchmark / "images/100001/100001-mask1.png")
    source = Image.open(benchmark / "images/100001/100001-input.png")
    assert mask.mode == "RGBA" and source.mode == "RGB"
    assert np.array_equal(np.asarray(mask)[..., :3], np.asarray(source))
    assert set(np.unique(np.asarray(mask)[..., 3])) == {0, 255}


def test_instructions_and_descriptions_follow_the_edit():
    kinds_seen = set()
    for index in range(60):
        session = make_session(seed=3, index=index, n_turns=3, size=96)
        for kind, turn in zip(session.kinds, session.turns, strict=True):
            kinds_seen.add(kind)
            before = session.global_descriptions[turn["input"]]
            after = session.global_descriptions[turn["output"]]
            local = session.local_descriptions[turn["output"]]
            instruction = turn["instruction"].lower()
            assert before != after, turn
            if kind in ("recolour", "remove", "replace"):
                # "make the red circle blue": the named shape is in the before caption.
                named = SHAPE_NAME.search(instruction)
                assert named is not None and named.group(0) in before, (instruction, before)
            if kind in ("add", "replace", "recolour"):
                assert local.removeprefix("a ").removeprefix("an ") in after, (local, after)
            if kind == "background":
                assert after.endswith(local.removeprefix("a ").removeprefix("an ")), (local, after)
    assert kinds_seen == {"recolour", "add", "remove", "replace", "background"}


def test_many_small_scenes_keep_the_mask_invariant():
    # make_session raises if any pixel changes outside its mask; tiny canvases are the
    # hardest case for placing shapes.
    for index in range(150):
        session = make_session(seed=11, index=index, n_turns=3, size=32)
        assert len(session.turns) == 3


def test_default_size_is_512():
    session = make_session(seed=0, index=0, n_turns=1, size=512)
    image = Image.open(io.BytesIO(session.png_files[session.turns[0]["output"]]))
    assert image.size == (512, 512)


def test_refuses_to_write_over_other_files(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(FileExistsError, match="not empty"):
            write_synthetic_benchmark(tmp_path / "mine", sessions=1, size=32, overwrite=overwrite)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"
    write_synthetic_benchmark(tmp_path / "bench", sessions=2, size=32)
    write_synthetic_benchmark(tmp_path / "bench", sessions=1, size=32, overwrite=True)
    assert len(json.loads((tmp_path / "bench" / "edit_sessions.json").read_text())) == 1


def test_make_synthetic_command(tmp_path):
    from flows.cli.app import build_app

    out = tmp_path / "bench"
    runner = CliRunner()
    args = ["data", "make-synthetic", str(out), "--sessions", "3", "--size", "48", "--seed", "5"]
    result = runner.invoke(build_app(), [*args, "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["sessions"], summary["turns"], summary["seed"]) == (3, 6, 5)
    assert summary["images"] == 3 + 2 * 6 == len(list((out / "images").rglob("*.png")))
    again = runner.invoke(build_app(), args)
    assert again.exit_code == 1 and "not empty" in again.output and "--overwrite" in again.output
