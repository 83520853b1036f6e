"""`read_dataset`: pick the reader for a path (or take the one named) and stream its records.

Auto-detection, first match wins:
    a .zip file, or a folder with edit_sessions.json (at its root or one folder down)  magicbrush
    a .parquet file, or a folder with .parquet files (at any depth)                     hub
    a .jsonl/.ndjson file, or a folder with exactly one such file at its root           jsonl
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal, get_args

from handsoff_core.data.bounds import DEFAULT_LIMITS, ReadLimits
from handsoff_core.data.hub_parquet import count_hub_rows, read_hub_parquet
from handsoff_core.data.jsonl import count_jsonl_lines, read_jsonl
from handsoff_core.data.magicbrush import SESSIONS_FILE, count_magicbrush_turns, read_magicbrush
from handsoff_core.data.records import DatasetUnreadable, RejectedRecord, SampleRecord

DatasetFormat = Literal["magicbrush", "hub", "jsonl"]
FormatChoice = Literal["auto", "magicbrush", "hub", "jsonl"]
FORMATS: tuple[str, ...] = get_args(DatasetFormat)
JSONL_SUFFIXES = (".jsonl", ".ndjson")


def detect_format(path: Path) -> DatasetFormat:
    """The layout of `path`; `DatasetUnreadable` when it is missing or none fits."""
    if not path.exists():
        raise DatasetUnreadable(f"{path}: no such file or folder")
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".zip":
            return "magicbrush"
        if suffix == ".parquet":
            return "hub"
        if suffix in JSONL_SUFFIXES:
            return "jsonl"
        raise DatasetUnreadable(
            f"{path}: unknown dataset layout (expected a .zip, .parquet or .jsonl file, or a "
            "folder); name the format to read it anyway"
        )
    if (path / SESSIONS_FILE).is_file() or any(path.glob(f"*/{SESSIONS_FILE}")):
        return "magicbrush"
    if any(path.rglob("*.parquet")):
        return "hub"
    if _jsonl_files(path):
        return "jsonl"
    raise DatasetUnreadable(
        f"{path}: unknown dataset layout (no {SESSIONS_FILE}, no .parquet files, no .jsonl file)"
    )


def _jsonl_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in JSONL_SUFFIXES)


def _jsonl_path(path: Path) -> Path:
    if not path.is_dir():
        return path
    files = _jsonl_files(path)
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "none"
        raise DatasetUnreadable(f"{path}: expected exactly one .jsonl file, found {names}")
    return files[0]


def resolve_format(path: Path, format: FormatChoice) -> DatasetFormat:
    if format == "auto":
        return detect_format(path)
    if format not in FORMATS:
        raise DatasetUnreadable(
            f"unknown dataset format {format!r} (one of auto, {', '.join(FORMATS)})"
        )
    if not path.exists():
        raise DatasetUnreadable(f"{path}: no such file or folder")
    return format


def _records(
    path: Path, format: DatasetFormat, zip_password: str | None, limits: ReadLimits
) -> Iterator[SampleRecord | RejectedRecord]:
    if format == "magicbrush":
        return read_magicbrush(path, zip_password=zip_password, limits=limits)
    if format == "hub":
        return read_hub_parquet(path, limits=limits)
    return read_jsonl(_jsonl_path(path), limits=limits)


def read_dataset(
    path: Path,
    format: FormatChoice = "auto",
    *,
    zip_password: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[SampleRecord | RejectedRecord]:
    """Stream every record of the dataset at `path`, good ones and rejected ones, lazily.

    The layout is checked before this returns (a missing path or unknown layout raises
    `DatasetUnreadable` here); whole-dataset problems found while opening it (an unreadable
    zip, malformed edit_sessions.json, missing parquet columns) raise on first iteration.
    An external id seen twice rejects the later record.
    """
    resolved = resolve_format(path, format)
    if resolved == "jsonl":
        path = _jsonl_path(path)
    return _unique(_records(path, resolved, zip_password, limits))


def _unique(
    records: Iterator[SampleRecord | RejectedRecord],
) -> Iterator[SampleRecord | RejectedRecord]:
    seen: set[str] = set()
    for record in records:
        if isinstance(record, SampleRecord):
            if record.external_id in seen:
                yield RejectedRecord(
                    record.external_id, f"duplicate id {record.external_id!r}: already read"
                )
                continue
            seen.add(record.external_id)
        yield record


def count_records(
    path: Path,
    format: FormatChoice = "auto",
    *,
    zip_password: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> int:
    """How many records `read_dataset` will go through (turns, rows or lines), cheaply and
    without decoding images: for progress bars. Raises `DatasetUnreadable` like the readers."""
    resolved = resolve_format(path, format)
    if resolved == "magicbrush":
        return count_magicbrush_turns(path, zip_password=zip_password, limits=limits)
    if resolved == "hub":
        return count_hub_rows(path)
    return count_jsonl_lines(_jsonl_path(path))
