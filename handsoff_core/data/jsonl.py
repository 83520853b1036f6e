"""Reader of the JSONL layout for users' own images (documented in docs/jsonl-format.md).

One JSON object per line:
    {"id": "cat-1", "image": "images/cat.png", "instruction": "put a hat on the cat",
     "target": ..., "mask": ..., "input_caption": ..., "output_caption": ...,
     "output_caption_local": ..., "session": ..., "turn": ...}
`id`, `image` and `instruction` are required; paths are relative to the JSONL file's folder
and must stay inside it (absolute paths, paths leaving the folder and symlinks are refused
unless `ReadLimits` allows them); each file is size-checked before it is read. `session`
defaults to the id, `turn` to 1. Unknown keys reject the line (a misspelt "traget" must not
silently drop the target). Blank lines and lines starting with "#" are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from handsoff_core.data.bounds import (
    DEFAULT_LIMITS,
    ReadLimits,
    confined_path,
    read_bounded,
)
from handsoff_core.data.json_shape import json_type
from handsoff_core.data.records import DatasetUnreadable, ImageBlob, RejectedRecord, SampleRecord

REQUIRED_KEYS = ("id", "image", "instruction")
OPTIONAL_KEYS = (
    "target",
    "mask",
    "input_caption",
    "output_caption",
    "output_caption_local",
    "session",
    "turn",
)


def _text(obj: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, got {value!r}")
    return value


def _identifier(value: Any, key: str) -> str:
    # Ids may be written as numbers ("id": 17); they are stored as text.
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise ValueError(f"{key!r} must be a non-empty string or integer, got {value!r}")
    return str(value)


# One record is a short JSON object; a longer line is refused without being held whole.
MAX_LINE_BYTES = 1024 * 1024


def _blob(base: Path, relative: str | None, key: str, limits: ReadLimits) -> ImageBlob | None:
    if relative is None:
        return None
    path = confined_path(base, relative, limits=limits, what=repr(key))
    what = f"{key!r} {relative!r}"
    try:
        if not path.is_file():
            raise ValueError(f"{key!r}: referenced file {relative} is missing")
        return ImageBlob(
            data=read_bounded(path, max_bytes=limits.max_file_bytes, what=what), origin=relative
        )
    except OSError as exc:
        raise ValueError(f"{what}: cannot read ({exc})") from exc


def _line_record(obj: Any, *, base: Path, limits: ReadLimits) -> SampleRecord:
    if not isinstance(obj, dict):
        raise ValueError(f"line holds {json_type(obj)}, expected an object")
    unknown = sorted(set(obj) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(map(repr, unknown))}")
    missing = [key for key in REQUIRED_KEYS if key not in obj]
    if missing:
        raise ValueError(f"missing required key(s) {', '.join(map(repr, missing))}")
    external_id = _identifier(obj["id"], "id")
    session_id = (
        external_id if obj.get("session") is None else _identifier(obj["session"], "session")
    )
    turn = obj.get("turn", 1)
    if isinstance(turn, bool) or not isinstance(turn, int) or turn < 1:
        raise ValueError(f"'turn' must be an integer >= 1, got {turn!r}")
    instruction = _text(obj, "instruction", required=True)
    source = _blob(base, _text(obj, "image", required=True), "image", limits)
    assert instruction is not None and source is not None
    return SampleRecord(
        external_id=external_id,
        session_id=session_id,
        turn_index=turn,
        instruction=instruction,
        source=source,
        mask=_blob(base, _text(obj, "mask", required=False), "mask", limits),
        target=_blob(base, _text(obj, "target", required=False), "target", limits),
        input_caption_global=_text(obj, "input_caption", required=False),
        output_caption_global=_text(obj, "output_caption", required=False),
        output_caption_local=_text(obj, "output_caption_local", required=False),
    )


def _best_id(obj: Any, line_number: int) -> str:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str | int) and str(obj["id"]).strip():
        return str(obj["id"])
    return f"line {line_number}"


class LineTooLong(ValueError):
    pass


def _lines(path: Path) -> Iterator[tuple[int, str | UnicodeDecodeError | LineTooLong]]:
    """(line number, text) of each line, or why a line cannot be used (not UTF-8, too long).

    Lines are read at most `MAX_LINE_BYTES` at a time: the rest of an over-long line is
    skipped in chunks, never held in memory.
    """
    with path.open("rb") as raw_lines:
        line_number = 0
        while raw := raw_lines.readline(MAX_LINE_BYTES + 1):
            line_number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := raw_lines.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield (
                    line_number,
                    LineTooLong(
                        f"line {line_number}: longer than the limit of {MAX_LINE_BYTES} bytes"
                    ),
                )
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line_number, exc
                continue
            yield line_number, text.removeprefix("\ufeff") if line_number == 1 else text


def read_jsonl(
    path: Path, *, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[SampleRecord | RejectedRecord]:
    """Stream the records of a JSONL file, one line at a time.

    Raises `DatasetUnreadable` only when the file is missing; a line that is not UTF-8, not
    JSON or not a valid record is rejected by its line number (or its id when it has one).
    A (session, turn) pair given twice rejects the later line.
    """
    if not path.is_file():
        raise DatasetUnreadable(f"{path}: no such file")
    base = path.parent
    seen_turns: dict[tuple[str, int], str] = {}
    for line_number, line in _lines(path):
        where = f"line {line_number}"
        if isinstance(line, UnicodeDecodeError):
            yield RejectedRecord(where, f"{where}: not UTF-8 text ({line})")
            continue
        if isinstance(line, LineTooLong):
            yield RejectedRecord(where, str(line))
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield RejectedRecord(where, f"{where}: invalid JSON ({exc.msg} at column {exc.colno})")
            continue
        except (ValueError, RecursionError) as exc:
            # An integer past Python's digit limit, or arrays nested thousands deep.
            yield RejectedRecord(where, f"{where}: invalid JSON ({exc})")
            continue
        try:
            record = _line_record(obj, base=base, limits=limits)
        except ValueError as exc:
            yield RejectedRecord(_best_id(obj, line_number), f"{where}: {exc}")
            continue
        key = (record.session_id, record.turn_index)
        if key in seen_turns:
            yield RejectedRecord(
                record.external_id,
                f"{where}: session {key[0]!r} turn {key[1]} already given by id "
                f"{seen_turns[key]!r}",
            )
            continue
        seen_turns[key] = record.external_id
        yield record


def count_jsonl_lines(path: Path) -> int:
    """Non-blank, non-comment lines (for progress bars; reads no image)."""
    if not path.is_file():
        raise DatasetUnreadable(f"{path}: no such file")
    return sum(
        1
        for _, line in _lines(path)
        if not isinstance(line, str) or (line.strip() and not line.lstrip().startswith("#"))
    )
