"""Format detection: which reader a path gets, and clear errors when none fits."""

from __future__ import annotations

import pytest

from handsoff_core.data import DatasetUnreadable, detect_format, read_dataset
from tests.core.data.builders import write_magicbrush


@pytest.mark.parametrize(
    ("name", "expected"),
    [("test.zip", "magicbrush"), ("dev.parquet", "hub"), ("own.jsonl", "jsonl"),
     ("own.ndjson", "jsonl")],
)  # fmt: skip
def test_files_by_suffix(tmp_path, name, expected):
    (tmp_path / name).write_bytes(b"")
    assert detect_format(tmp_path / name) == expected


def test_folders_by_content(tmp_path):
    write_magicbrush(tmp_path / "mb" / "test", {})
    assert detect_format(tmp_path / "mb") == "magicbrush"
    (tmp_path / "hub" / "data").mkdir(parents=True)
    (tmp_path / "hub" / "data" / "dev-0.parquet").write_bytes(b"")
    assert detect_format(tmp_path / "hub") == "hub"
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "edits.jsonl").write_text("")
    assert detect_format(tmp_path / "own") == "jsonl"


def test_unknown_layouts_and_missing_paths_are_clear_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DatasetUnreadable, match="unknown dataset layout"):
        read_dataset(tmp_path / "notes.txt")
    with pytest.raises(DatasetUnreadable, match="unknown dataset layout"):
        detect_format(tmp_path)
    with pytest.raises(DatasetUnreadable, match="no such file or folder"):
        read_dataset(tmp_path / "absent", "magicbrush")
    with pytest.raises(DatasetUnreadable, match="unknown dataset format 'csv'"):
        read_dataset(tmp_path, "csv")  # type: ignore[arg-type]


def test_an_empty_sessions_file_reads_nothing(tmp_path):
    assert list(read_dataset(write_magicbrush(tmp_path / "mb", {}))) == []
