"""The JSONL reader for users' own images (docs/jsonl-format.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from handsoff_core.data import (
    DatasetUnreadable,
    RejectedRecord,
    SampleRecord,
    count_records,
    read_dataset,
)
from handsoff_core.data.bounds import DEFAULT_LIMITS, ReadLimits
from tests.core.data.builders import png


def write_jsonl(folder: Path, lines: list[object | str]) -> Path:
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "images" / "cat.png").write_bytes(png((1, 1, 1)))
    (folder / "images" / "cat-hat.png").write_bytes(png((2, 2, 2)))
    (folder / "images" / "cat-mask.png").write_bytes(png((255, 255, 255)))
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path = folder / "edits.jsonl"
    path.write_text(text + "\n")
    return path


def split(
    path: Path, limits: ReadLimits = DEFAULT_LIMITS
) -> tuple[dict[str, SampleRecord], dict[str, str]]:
    items = list(read_dataset(path, limits=limits))
    samples = {i.external_id: i for i in items if isinstance(i, SampleRecord)}
    rejected = {i.external_id: i.reason for i in items if isinstance(i, RejectedRecord)}
    return samples, rejected


def test_full_and_minimal_lines(tmp_path):
    path = write_jsonl(
        tmp_path,
        [
            {
                "id": "cat-1",
                "image": "images/cat.png",
                "instruction": "put a hat on the cat",
                "target": "images/cat-hat.png",
                "mask": "images/cat-mask.png",
                "input_caption": "a cat on a sofa",
                "output_caption": "a cat wearing a hat on a sofa",
                "output_caption_local": "a hat",
                "session": "cat",
                "turn": 1,
            },
            "# a comment, then a blank line",
            "",
            {"id": 7, "image": str(tmp_path / "images" / "cat.png"), "instruction": "x"},
        ],
    )
    # An absolute path is refused by default (see test_confinement) and read when allowed.
    samples, rejected = split(path, ReadLimits(allow_outside=True))
    assert rejected == {}
    full, minimal = samples["cat-1"], samples["7"]
    assert (full.session_id, full.turn_index) == ("cat", 1)
    assert full.source.data == png((1, 1, 1)) and full.source.origin == "images/cat.png"
    assert full.target is not None and full.target.data == png((2, 2, 2))
    assert full.mask is not None and full.mask.origin == "images/cat-mask.png"
    assert (full.input_caption_global, full.output_caption_global, full.output_caption_local) == (
        "a cat on a sofa",
        "a cat wearing a hat on a sofa",
        "a hat",
    )
    # Defaults: the session is the id, the turn is 1, optional fields are None.
    assert (minimal.session_id, minimal.turn_index, minimal.target, minimal.mask) == (
        "7", 1, None, None,
    )  # fmt: skip
    assert count_records(path) == 2
    assert list(read_dataset(tmp_path, "jsonl")) == list(read_dataset(path))  # folder works too


def test_bad_lines_are_rejected_by_line_or_id_and_the_rest_reads(tmp_path):
    good = {"image": "images/cat.png", "instruction": "make it blue"}
    path = write_jsonl(
        tmp_path,
        [
            {"id": "ok", **good},
            '{"id": "broken", "image": ',
            '["a", "list"]',
            {"id": "typo", **good, "traget": "images/cat-hat.png"},
            {"id": "no-image", "instruction": "x"},
            {"id": "gone", **good, "target": "images/missing.png"},
            {"id": "bad-turn", **good, "turn": 0},
            {"id": "", **good},
            {"id": "same-turn", **good, "session": "ok"},
            {"id": "ok", **good, "session": "other"},
        ],
    )
    with path.open("ab") as handle:
        handle.write(b'{"id": "latin1", "instruction": "caf\xe9"}\n')
    samples, rejected = split(path)
    assert list(samples) == ["ok"]
    assert rejected == {
        "line 2": "line 2: invalid JSON (Expecting value at column 27)",
        "line 3": "line 3: line holds a list, expected an object",
        "typo": "line 4: unknown key(s) 'traget'",
        "no-image": "line 5: missing required key(s) 'image'",
        "gone": "line 6: 'target': referenced file images/missing.png is missing",
        "bad-turn": "line 7: 'turn' must be an integer >= 1, got 0",
        "line 8": "line 8: 'id' must be a non-empty string or integer, got ''",
        "same-turn": "line 9: session 'ok' turn 1 already given by id 'ok'",
        "ok": "duplicate id 'ok': already read",
        "line 11": rejected["line 11"],
    }
    assert rejected["line 11"].startswith("line 11: not UTF-8 text")


def test_missing_file_and_ambiguous_folder(tmp_path):
    with pytest.raises(DatasetUnreadable, match="no such file"):
        list(read_dataset(tmp_path / "nope.jsonl", "jsonl"))
    (tmp_path / "a.jsonl").write_text("")
    (tmp_path / "b.jsonl").write_text("")
    with pytest.raises(
        DatasetUnreadable, match=r"exactly one \.jsonl file, found a.jsonl, b.jsonl"
    ):
        list(read_dataset(tmp_path, "jsonl"))
