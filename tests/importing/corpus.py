"""Datasets holding one record per kind of badness, next to good records, for every reader.

Each builder returns the dataset path and {external id: exact reason} of the records it
expects rejected; every other record in it must import. Images are tiny; the "huge file"
is sparse, so it costs no disk.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from db.models import Sample
from handsoff_core.data.bounds import ReadLimits
from handsoff_core.data.records import MAX_INSTRUCTION_CHARS
from tests.core.data.builders import SIZE, bomb_png, dalle_mask, png, turn, write_session_images

# A limit small enough that a 2 MiB file is "huge", far above the tiny test images.
LIMITS = ReadLimits(max_file_bytes=1024 * 1024)
HUGE_BYTES = 2 * 1024 * 1024
ID_CHARS = Sample.__table__.c.external_id.type.length  # type: ignore[attr-defined]
SESSION_CHARS = Sample.__table__.c.session_id.type.length  # type: ignore[attr-defined]
INT_MAX = 2**31 - 1  # PostgreSQL INTEGER, the type of sample.turn_index


def _sparse(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        handle.truncate(size)


def jsonl_corpus(root: Path) -> tuple[Path, dict[str, str], int]:
    """(JSONL path, expected rejections, good records)."""
    folder = root / "jsonl"
    images = folder / "images"
    images.mkdir(parents=True)
    (images / "ok.png").write_bytes(png())
    (images / "mask-small.png").write_bytes(dalle_mask(size=(8, 8)))
    (images / "truncated.png").write_bytes(png()[:40])
    (images / "text.png").write_bytes(b"this is not an image")
    (images / "bomb.png").write_bytes(bomb_png())
    _sparse(images / "huge.png", HUGE_BYTES)
    (root / "outside.png").write_bytes(png())
    (images / "link.png").symlink_to(root / "outside.png")
    (images / "linkdir").symlink_to(root, target_is_directory=True)

    def line(id_: Any, **fields: Any) -> str:
        obj = {"id": id_, "image": "images/ok.png", "instruction": "make it blue", **fields}
        return json.dumps(obj)

    long_id = "i" * (ID_CHARS + 1)
    long_session = "s" * (SESSION_CHARS + 1)
    lines = [
        line("good-1"),
        line("good-2", target="images/ok.png", mask=None, session="g", turn=2),
        line("nul-instruction", instruction="make\u0000blue"),
        line("surrogate-instruction", instruction="make \ud800 blue"),
        line("surrogate-caption", output_caption="a \udfff cat"),
        line("nul-caption", input_caption="a\u0000cat"),
        line("nul-\u0000id"),
        line(long_id),
        line("long-session", session=long_session),
        line("turn-too-big", turn=INT_MAX + 1),
        line("turn-negative", turn=-3),
        line("turn-zero", turn=0),
        line("turn-string", turn="2"),
        line("turn-float", turn=1.5),
        line("turn-bool", turn=True),
        line("instruction-number", instruction=17),
        line("empty-instruction", instruction="   "),
        line("long-instruction", instruction="x" * (MAX_INSTRUCTION_CHARS + 1)),
        line("absolute", image=str(root / "outside.png")),
        line("dotdot", image="../outside.png"),
        line("symlink-file", image="images/link.png"),
        line("symlink-dir", image="images/linkdir/outside.png"),
        line("nul-path", image="images/ok\u0000.png"),
        line("huge", image="images/huge.png"),
        line("truncated", image="images/truncated.png"),
        line("not-image", image="images/text.png"),
        line("bomb", image="images/bomb.png"),
        line("mask-size", mask="images/mask-small.png"),
        line("missing-file", image="images/nope.png"),
        line("unknown-key", traget="images/ok.png"),
        json.dumps({"image": "images/ok.png", "instruction": "no id"}),
        "{not json",
        '{"id": "big-int", "image": "images/ok.png", "instruction": "x", "turn": '
        + "9" * 5000
        + "}",
        "[" * 100_000 + "]" * 100_000,
        line("good-1"),  # duplicate id
        line("same-turn", session="g", turn=2),
    ]
    path = folder / "edits.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    with path.open("ab") as handle:
        handle.write(b'{"id": "latin1", "instruction": "caf\xe9"}\n')
    n = len(lines) + 1
    expected = {
        "nul-instruction": "'nul-instruction': instruction contains a NUL character at position 4",
        "surrogate-instruction": "'surrogate-instruction': instruction contains a lone "
        "surrogate '\\ud800' at position 5",
        "surrogate-caption": "'surrogate-caption': output_caption_global contains a lone "
        "surrogate '\\udfff' at position 2",
        "nul-caption": "'nul-caption': input_caption_global contains a NUL character at position 1",
        "nul-\u0000id": "'nul-\\x00id': external_id contains a NUL character at position 4",
        long_id: f"{long_id!r}: external_id has {ID_CHARS + 1} characters, over the column's "
        f"limit of {ID_CHARS}",
        "long-session": f"'long-session': session_id has {SESSION_CHARS + 1} characters, over "
        f"the column's limit of {SESSION_CHARS}",
        "turn-too-big": f"'turn-too-big': turn_index {INT_MAX + 1} is outside the column's "
        f"range {-INT_MAX - 1}..{INT_MAX}",
        "turn-negative": "line 11: 'turn' must be an integer >= 1, got -3",
        "turn-zero": "line 12: 'turn' must be an integer >= 1, got 0",
        "turn-string": "line 13: 'turn' must be an integer >= 1, got '2'",
        "turn-float": "line 14: 'turn' must be an integer >= 1, got 1.5",
        "turn-bool": "line 15: 'turn' must be an integer >= 1, got True",
        "instruction-number": "line 16: 'instruction' must be a string, got 17",
        "empty-instruction": "empty-instruction: empty instruction",
        "long-instruction": f"long-instruction: instruction has {MAX_INSTRUCTION_CHARS + 1} "
        f"characters, over the limit of {MAX_INSTRUCTION_CHARS}",
        "absolute": f"line 19: 'image': absolute path {str(root / 'outside.png')!r} refused "
        "(allow paths outside the dataset folder explicitly to import it)",
        "dotdot": "line 20: 'image': '../outside.png' points outside the dataset folder (allow "
        "paths outside it explicitly to import it)",
        "symlink-file": "line 21: 'image': 'images/link.png' goes through the symlink "
        "'link.png' (allow symlinks explicitly to follow it)",
        "symlink-dir": "line 22: 'image': 'images/linkdir/outside.png' goes through the "
        "symlink 'linkdir' (allow symlinks explicitly to follow it)",
        "nul-path": "line 23: 'image': path 'images/ok\\x00.png' contains a NUL character",
        "huge": f"line 24: 'image' 'images/huge.png' is {HUGE_BYTES} bytes, over the per-file "
        f"limit of {LIMITS.max_file_bytes} bytes",
        "missing-file": "line 29: 'image': referenced file images/nope.png is missing",
        "unknown-key": "line 30: unknown key(s) 'traget'",
        "line 31": "line 31: missing required key(s) 'id'",
        "line 32": "line 32: invalid JSON (Expecting property name enclosed in double quotes "
        "at column 2)",
        "good-1": "line 35: session 'good-1' turn 1 already given by id 'good-1'",
        "same-turn": "line 36: session 'g' turn 2 already given by id 'good-2'",
        f"line {n}": f"line {n}: not UTF-8 text ('utf-8' codec can't decode byte 0xe9 in "
        "position 36: invalid continuation byte)",
    }
    return path, expected, 2


# Rejections whose text comes from the image decoder (handsoff_core.images): asserted by
# their stable prefix, the decoder's own wording being that module's concern.
JSONL_PREFIXES = {
    "truncated": "truncated source (images/truncated.png): ",
    "not-image": "not-image source (images/text.png): ",
    "bomb": "bomb source (images/bomb.png): ",
    "mask-size": "mask-size mask (images/mask-small.png): ",
    "line 33": "line 33: invalid JSON (Exceeds the limit (4300 digits) for integer string",
    "line 34": "line 34: invalid JSON (maximum recursion depth exceeded",
}


def magicbrush_corpus(root: Path) -> tuple[Path, dict[str, str], int]:
    """(folder, expected rejections, good records)."""
    folder = root / "mb"
    folder.mkdir(parents=True)
    long_session = "s" * (SESSION_CHARS + 1)
    sessions: dict[str, Any] = {
        "100": [turn("100", 1), turn("100", 2)],
        "../mb/images/100": [turn("100", 1)],
        "..": [turn("x", 1)],
        long_session: [turn(long_session, 1)],
        "200": [turn("200", 1, instruction="a\u0000b")],
        "300": [turn("300", 1)],
        "400": [turn("400", 1)],
    }
    for session in ("100", "200", "300", "400"):
        write_session_images(folder, session, 1 if session != "100" else 2)
    write_session_images(folder, long_session, 1)
    outside = root / "mb-outside.png"
    outside.write_bytes(png())
    target = folder / "images" / "300" / "300-output1.png"
    target.unlink()
    target.symlink_to(outside)
    huge = folder / "images" / "400" / "400-input.png"
    huge.unlink()
    _sparse(huge, HUGE_BYTES)
    (folder / "edit_sessions.json").write_text(json.dumps(sessions))
    expected = {
        "../mb/images/100-1": "session id '../mb/images/100' is not a plain folder name",
        "..-1": "session id '..' is not a plain folder name",
        f"{long_session}-1": f"'{long_session}-1': external_id has {SESSION_CHARS + 3} "
        f"characters, over the column's limit of {ID_CHARS}",
        "200-1": "'200-1': instruction contains a NUL character at position 1",
        "300-1": "images/300/300-output1.png: 'images/300/300-output1.png' goes through the "
        "symlink '300-output1.png' (allow symlinks explicitly to follow it)",
        "400-1": f"images/400/400-input.png is {HUGE_BYTES} bytes, over the per-file limit of "
        f"{LIMITS.max_file_bytes} bytes",
    }
    return folder, expected, 2


IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
SCHEMA = pa.schema(
    [
        ("img_id", pa.string()),
        ("turn_index", pa.int64()),
        ("source_img", IMAGE),
        ("mask_img", IMAGE),
        ("instruction", pa.string()),
        ("target_img", IMAGE),
    ]
)


def hub_corpus(root: Path) -> tuple[Path, dict[str, str], int]:
    """(parquet shard, expected rejections, good records)."""

    def row(img_id: str, turn_index: int, **overrides: Any) -> dict[str, Any]:
        values = {
            "img_id": img_id,
            "turn_index": turn_index,
            "source_img": {"bytes": png(), "path": None},
            "mask_img": {"bytes": dalle_mask(), "path": None},
            "instruction": "make it blue",
            "target_img": {"bytes": png((0, 0, 9)), "path": None},
        }
        values.update(overrides)
        return values

    rows = [
        row("1", 1),
        row("1", 2),
        row("big", 2**40),
        row("nul\u0000", 1),
        row("huge", 1, source_img={"bytes": os.urandom(HUGE_BYTES), "path": None}),
        row("none", 1, source_img=None),
        row("wrong-mask", 1, mask_img={"bytes": dalle_mask(size=(SIZE[0] + 1, 3)), "path": None}),
        row("long", 1, instruction="y" * (MAX_INSTRUCTION_CHARS + 1)),
    ]
    path = root / "hub" / "dev.parquet"
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, SCHEMA), path)
    expected = {
        f"big-{2**40}": f"'big-{2**40}': turn_index {2**40} is outside the column's range "
        f"{-INT_MAX - 1}..{INT_MAX}",
        "nul\u0000-1": "'nul\\x00-1': external_id contains a NUL character at position 3",
        "huge-1": f"dev.parquet row 4: source_img is {HUGE_BYTES} bytes, over the per-file limit "
        f"of {LIMITS.max_file_bytes} bytes",
        "none-1": "dev.parquet row 5: source_img is null",
        "long-1": f"long-1: instruction has {MAX_INSTRUCTION_CHARS + 1} characters, over the "
        f"limit of {MAX_INSTRUCTION_CHARS}",
    }
    return path, expected, 2


HUB_PREFIXES = {"wrong-mask-1": "wrong-mask-1 mask (dev.parquet row 6 mask_img): "}
