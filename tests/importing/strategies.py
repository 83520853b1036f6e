"""Hypothesis strategies for the reader property tests: lists of items, each good (some at
the edge of what the schema accepts) or corrupted in one way, and builders that write them
as a dataset of each layout.

A builder returns a `Written`: the dataset path, how many records the readers go through,
and {external id: stored instruction} of the good ones. Everything an item may point at
outside the dataset (an absolute path, `..`, a symlink's target) is a PNG of a colour no
good item uses, so a test can check that it never reached the database.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import strategies as st

from db.models import Sample
from handsoff_core.data.bounds import ReadLimits
from handsoff_core.data.records import MAX_INSTRUCTION_CHARS
from tests.core.data.builders import SIZE, bomb_png, dalle_mask, png

ID_CHARS: int = Sample.__table__.c.external_id.type.length  # type: ignore[attr-defined]
SESSION_CHARS: int = Sample.__table__.c.session_id.type.length  # type: ignore[attr-defined]
INT32_MAX = 2**31 - 1  # PostgreSQL INTEGER: sample.turn_index
LIMITS = ReadLimits(max_file_bytes=64 * 1024)  # tiny images are far below it
OUTSIDE_COLOUR = (1, 2, 3)  # the file outside the dataset; no good item has it

# Kinds shared by the readers that take them; "good*" kinds must import.
GOOD = ("good", "good", "good", "good-long-instruction", "good-file-at-size-limit")
TEXT_BAD = ("nul-instruction", "surrogate-instruction", "empty-instruction", "long-instruction")
IMAGE_BAD = ("truncated-image", "text-image", "oversized-image", "bomb-image", "wrong-size-mask")
JSONL_KINDS = (
    *GOOD,
    "good-id-at-limit",
    "good-turn-max",
    *TEXT_BAD,
    *IMAGE_BAD,
    "nul-id",
    "surrogate-id",
    "long-id",
    "long-session",
    "nul-caption",
    "surrogate-caption",
    "turn-over-int32",
    "turn-over-int64",
    "turn-negative",
    "turn-zero",
    "turn-string",
    "turn-float",
    "turn-bool",
    "turn-null",
    "instruction-number",
    "instruction-list",
    "instruction-null",
    "id-list",
    "id-float",
    "missing-id",
    "missing-image",
    "missing-instruction",
    "unknown-key",
    "dotdot-path",
    "absolute-path",
    "symlink-file",
    "symlink-dir",
    "nul-path",
    "name-too-long",
    "missing-file",
    "not-json",
    "not-an-object",
    "not-utf8",
    "duplicate-id",
)
MAGICBRUSH_KINDS = (
    *GOOD,
    "good-id-at-limit",
    *TEXT_BAD,
    *IMAGE_BAD,
    "instruction-number",
    "instruction-null",
    "missing-instruction",
    "missing-input",
    "missing-output",
    "turn-not-an-object",
    "caption-not-a-string",
    "dotdot-name",
    "absolute-name",
    "nul-name",
    "name-too-long",
    "symlink-file",
    "missing-file",
    "nul-caption",
    "surrogate-caption",
    "session-dotdot",
    "session-name-too-long",
    "session-slash",
    "session-nul",
    "session-surrogate",
    "long-session",
    "session-not-a-list",
    "session-empty",
    "duplicate-session",
)
MAGICBRUSH_ZIP_KINDS = tuple(kind for kind in MAGICBRUSH_KINDS if "symlink" not in kind)
HUB_KINDS = (
    *GOOD[:4],  # a parquet cell has no file size limit to sit at
    "good-id-at-limit",
    "good-turn-max",
    "nul-instruction",
    "empty-instruction",
    "long-instruction",
    "truncated-image",
    "text-image",
    "oversized-image",
    "wrong-size-mask",
    "nul-id",
    "long-id",
    "null-id",
    "null-instruction",
    "turn-over-int32",
    "turn-over-int64",
    "turn-negative",
    "turn-zero",
    "turn-null",
    "source-null",
    "source-path-only",
    "not-utf8",
    "duplicate-id",
)

_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
# Folder names: no separators; the text may still hold any other character.
_NAME_TEXT = st.text(
    st.characters(
        exclude_categories=("Cs", "Cc", "Zl", "Zp"),
        exclude_characters="/\\\x00",
        max_codepoint=0x2FFF,
    ),
    max_size=8,
)


@dataclass(frozen=True)
class Item:
    kind: str
    text: str  # free text for the id, the instruction and captions
    position: int  # where a bad character goes
    joins: bool  # MagicBrush: a further turn of the previous session


def items(kinds: tuple[str, ...]) -> st.SearchStrategy[list[Item]]:
    item = st.builds(
        Item,
        kind=st.sampled_from(kinds),
        text=st.one_of(_TEXT, _NAME_TEXT),
        position=st.integers(0, 40),
        joins=st.booleans(),
    )
    return st.lists(item, min_size=1, max_size=12)


def every_kind(kinds: tuple[str, ...]) -> list[Item]:
    """One item of each kind, in order (an explicit example: CI covers every kind)."""
    return [
        Item(kind, text, index % 7, index % 2 == 0)
        for index, (kind, text) in enumerate(
            zip(
                dict.fromkeys(kinds),
                ["", "é", " x ", "猫", "\u202e", "a b", "\t"] * 9,
                strict=False,
            )
        )
    ]


@dataclass
class Written:
    path: Path
    records: int = 0
    good: dict[str, str] = field(default_factory=dict)  # external id -> stored instruction
    outside: bytes = b""  # bytes of the file outside the dataset
    names: set[str] = field(default_factory=set)  # what may name a record: ids, lines, rows


def _insert(text: str, char: str, position: int) -> str:
    at = min(position, len(text))
    return text[:at] + char + text[at:]


def _instruction(item: Item, index: int) -> str:
    base = f" edit {index} {item.text} "  # surrounding spaces: stripped when stored
    if item.kind == "good-long-instruction":
        return (base.strip() + " " + "x" * MAX_INSTRUCTION_CHARS)[:MAX_INSTRUCTION_CHARS]
    if item.kind == "nul-instruction":
        return _insert(base.strip(), "\x00", item.position)
    if item.kind == "surrogate-instruction":
        return _insert(base.strip(), "\ud800", item.position)
    if item.kind == "empty-instruction":
        return " \t\n "
    if item.kind == "long-instruction":
        return "y" * (MAX_INSTRUCTION_CHARS + 1)
    return base


def _colour(index: int, role: int) -> tuple[int, int, int]:
    return (10 + index, 40 + 50 * role, 200 - index)


def _image_bytes(kind: str, index: int, role: int) -> bytes:
    """The bytes of the image file that `kind` corrupts (role 0 source, 1 mask, 2 target)."""
    if role == 1:
        if kind == "wrong-size-mask":
            return dalle_mask(size=(SIZE[0] + 1, SIZE[1]))
        return dalle_mask()
    data = png(_colour(index, role))
    if role != 0:
        return data
    if kind == "truncated-image":
        return data[: len(data) // 2]
    if kind == "text-image":
        return b"these are not the pixels you are looking for"
    if kind == "bomb-image":
        return bomb_png()
    if kind == "good-file-at-size-limit":  # a PNG padded after IEND to exactly the limit
        return data + b"\x00" * (LIMITS.max_file_bytes - len(data))
    return data


def _write_image(path: Path, kind: str, index: int, role: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if role == 0 and kind == "oversized-image":
        with path.open("wb") as handle:  # sparse: costs no disk
            handle.truncate(LIMITS.max_file_bytes + 1)
        return
    path.write_bytes(_image_bytes(kind, index, role))


def _outside(root: Path) -> tuple[Path, bytes]:
    """A PNG outside the dataset folder (and a folder holding it) for paths to point at."""
    outside = root / "outside"
    outside.mkdir(exist_ok=True)
    data = png(OUTSIDE_COLOUR)
    (outside / "secret.png").write_bytes(data)
    return outside, data


def write_jsonl(root: Path, batch: list[Item], *, ensure_ascii: bool) -> Written:
    folder = root / "data"
    images = folder / "images"
    images.mkdir(parents=True)
    outside, secret = _outside(root)
    written = Written(path=folder / "edits.jsonl", records=len(batch), outside=secret)
    lines: list[bytes] = []
    for index, item in enumerate(batch):
        kind = item.kind
        external_id: Any = f"r{index}-{item.text}"
        if kind == "good-id-at-limit":
            external_id = (external_id + "i" * ID_CHARS)[:ID_CHARS]
        elif kind == "nul-id":
            external_id = _insert(external_id, "\x00", item.position)
        elif kind == "surrogate-id":
            external_id = _insert(external_id, "\udfff", item.position)
        elif kind == "long-id":
            external_id = external_id + "i" * (ID_CHARS + 1 - len(external_id))
        elif kind == "id-list":
            external_id = [external_id]
        elif kind == "id-float":
            external_id = index + 0.5
        elif kind == "duplicate-id":
            if written.good:
                external_id = next(iter(written.good))
            else:
                kind = "good"
        image = f"images/source-{index}.png"
        _write_image(folder / image, kind, index, 0)
        obj: dict[str, Any] = {
            "id": external_id,
            "image": image,
            "instruction": _instruction(item, index),
            "target": f"images/target-{index}.png",
        }
        _write_image(folder / obj["target"], kind, index, 2)
        if item.joins or kind == "wrong-size-mask":
            obj["mask"] = f"images/mask-{index}.png"
            _write_image(folder / obj["mask"], kind, index, 1)
        if item.position % 3 == 0:
            obj["output_caption"] = f"a caption {item.text}"
        turn_values: dict[str, Any] = {
            "good-turn-max": INT32_MAX,
            "turn-over-int32": INT32_MAX + 1,
            "turn-over-int64": 2**63,
            "turn-negative": -item.position - 1,
            "turn-zero": 0,
            "turn-string": "2",
            "turn-float": 1.5,
            "turn-bool": True,
            "turn-null": None,
        }
        if kind in turn_values:
            obj["turn"] = turn_values[kind]
        elif kind == "duplicate-id":
            obj["turn"] = 2  # another (session, turn): only the id repeats
        if kind == "long-session":
            obj["session"] = "s" * (SESSION_CHARS + 1)
        elif kind == "nul-caption":
            obj["input_caption"] = _insert(item.text, "\x00", item.position)
        elif kind == "surrogate-caption":
            obj["output_caption_local"] = _insert(item.text, "\ud83d", item.position)
        elif kind == "instruction-number":
            obj["instruction"] = index
        elif kind == "instruction-list":
            obj["instruction"] = [obj["instruction"]]
        elif kind == "instruction-null":
            obj["instruction"] = None
        elif kind.startswith("missing-") and kind != "missing-file":
            del obj[kind.removeprefix("missing-")]
        elif kind == "unknown-key":
            obj["traget"] = obj.pop("target")
        elif kind == "dotdot-path":
            obj["image"] = "images/../../outside/secret.png"
        elif kind == "absolute-path":
            obj["image"] = str(outside / "secret.png")
        elif kind == "symlink-file":
            (images / f"link-{index}.png").symlink_to(outside / "secret.png")
            obj["image"] = f"images/link-{index}.png"
        elif kind == "symlink-dir":
            (images / f"linkdir-{index}").symlink_to(outside, target_is_directory=True)
            obj["image"] = f"images/linkdir-{index}/secret.png"
        elif kind == "nul-path":
            obj["image"] = _insert(image, "\x00", item.position)
        elif kind == "name-too-long":
            obj["image"] = "images/" + "n" * 300 + ".png"
        elif kind == "missing-file":
            obj["image"] = f"images/nothing-{index}.png"
        if kind == "not-json":
            line = json.dumps(obj, ensure_ascii=ensure_ascii)[:-1]
        elif kind == "not-an-object":
            line = json.dumps([obj], ensure_ascii=ensure_ascii)
        else:
            line = json.dumps(obj, ensure_ascii=ensure_ascii)
        written.names.update({f"line {index + 1}", str(external_id)})
        raw = line.encode("utf-8", errors="surrogatepass")  # unpaired surrogates: not UTF-8
        if kind == "not-utf8":
            raw = raw.replace(b"edit", b"\xe9dit", 1)
        lines.append(raw)
        if kind.startswith("good"):
            written.good[external_id] = obj["instruction"].strip()
    written.path.write_bytes(b"\n".join(lines) + b"\n")
    return written


def _mb_session_id(item: Item, index: int, kind: str) -> str:
    """The session id of `item` written as `kind` (the builder may have changed its kind)."""
    text = "".join(char for char in item.text if char not in "/\\\x00")
    base = f"s{index}-{text}"
    if kind == "good-id-at-limit":  # "<session>-1" exactly fills external_id
        return (base + "i" * ID_CHARS)[: ID_CHARS - 2]
    if kind == "long-session":
        return base + "i" * (SESSION_CHARS + 1 - len(base))
    if kind == "session-dotdot":
        return ".."
    if kind == "session-slash":
        return f"../s{index}"
    if kind == "session-name-too-long":  # a folder name no Linux file system can hold
        return base + "n" * (300 - len(base))
    if kind == "session-nul":
        return _insert(base, "\x00", item.position)
    if kind == "session-surrogate":
        return _insert(base, "\udc80", item.position)
    return base


_SESSION_KINDS = frozenset(
    kind for kind in MAGICBRUSH_KINDS if kind.startswith("session-") or kind == "long-session"
)
# A turn no later turn can chain from: its output file is not named where the next turn
# would take it from.
_CHAIN_ENDS = frozenset({"missing-output", "missing-input", "turn-not-an-object"})


def write_magicbrush(root: Path, batch: list[Item], *, as_zip: bool) -> Written:
    folder = root / "data" / "mb"
    folder.mkdir(parents=True)
    outside, secret = _outside(root)
    written = Written(path=folder, outside=secret)
    sessions: list[tuple[str, Any]] = []  # (session id, turns) in file order
    last: tuple[str, list[Any]] | None = None  # a session a turn may join
    local: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(batch):
        kind = item.kind
        if kind == "session-dotdot" and any(key == ".." for key, _ in sessions):
            kind = "session-slash"  # ".." again would be a duplicate key, not a new session
        if kind == "duplicate-session":
            if sessions:
                sessions.append(sessions[-1])  # the same key and value again
                written.names.add(f"session {sessions[-1][0]}")
                written.records += 1  # "session X: appears more than once"
            continue
        if kind in ("session-not-a-list", "session-empty"):
            sessions.append((f"s{index}", {} if kind == "session-not-a-list" else []))
            written.names.add(f"session s{index}")
            written.records += 1
            continue
        # A further turn only of a plain session of good length (its ids stay storable).
        continuing = item.joins and kind not in _SESSION_KINDS and sessions[-1:] == [last]
        if continuing and last is not None and len(last[1]) < 3:
            session_id, turns = last
        else:
            session_id, turns = _mb_session_id(item, index, kind), []
            sessions.append((session_id, turns))
            plain = kind not in _SESSION_KINDS and len(session_id) < ID_CHARS - 3
            last = (session_id, turns) if plain else None
        number = len(turns) + 1
        external_id = f"{session_id}-{number}"
        session_dir = folder / "images" / session_id
        # A session id the file system cannot hold names no files: its turns are rejected
        # before any is read.
        safe_dir = kind not in _SESSION_KINDS or kind == "long-session"
        input_name = f"{session_id}-input.png" if number == 1 else turns[-1]["output"]
        turn: dict[str, Any] = {
            "input": input_name,
            "mask": f"{session_id}-mask{number}.png",
            "output": f"{session_id}-output{number}.png",
            "instruction": _instruction(item, index),
        }
        if safe_dir:
            if number == 1:
                _write_image(session_dir / input_name, "good", index, 0)
            _write_image(session_dir / turn["mask"], kind, index, 1)
            _write_image(session_dir / turn["output"], "good", index, 2)
            if kind in ("truncated-image", "text-image", "bomb-image", "oversized-image"):
                corrupt = session_dir / f"{session_id}-bad{number}.png"
                _write_image(corrupt, kind, index, 0)
                turn["mask"] = corrupt.name
            elif kind == "good-file-at-size-limit":
                _write_image(session_dir / turn["output"], kind, index, 0)
        if kind == "instruction-number":
            turn["instruction"] = index
        elif kind == "instruction-null":
            turn["instruction"] = None
        elif kind in ("missing-instruction", "missing-input", "missing-output"):
            del turn[kind.removeprefix("missing-")]
        elif kind == "caption-not-a-string":
            local.setdefault(session_id, {})[turn["output"]] = index
        elif kind == "dotdot-name":
            turn["mask"] = "../../../outside/secret.png"
        elif kind == "absolute-name":
            turn["mask"] = str(outside / "secret.png")
        elif kind == "nul-name":
            turn["mask"] = _insert(turn["mask"], "\x00", item.position)
        elif kind == "name-too-long":
            turn["mask"] = "n" * 300 + ".png"
        elif kind == "symlink-file":
            (session_dir / turn["mask"]).unlink()
            (session_dir / turn["mask"]).symlink_to(outside / "secret.png")
        elif kind == "missing-file":
            turn["mask"] = f"{session_id}-nothing{number}.png"
        elif kind in ("nul-caption", "surrogate-caption"):
            bad = "\x00" if kind == "nul-caption" else "\udbff"
            local.setdefault(session_id, {})[turn["output"]] = _insert(
                item.text, bad, item.position
            )
        else:
            local.setdefault(session_id, {})[turn["output"]] = f"local {item.text}"
        # As released, a turn is an object; the list of its values is the same data unkeyed.
        turns.append(list(turn.values()) if kind == "turn-not-an-object" else turn)
        if kind in _CHAIN_ENDS:
            last = None
        written.names.add(external_id)
        written.records += 1
        if kind.startswith("good"):
            written.good[external_id] = turn["instruction"].strip()
    pairs = ", ".join(f"{json.dumps(key)}: {json.dumps(value)}" for key, value in sessions)
    (folder / "edit_sessions.json").write_text("{" + pairs + "}")
    (folder / "local_descriptions.json").write_text(json.dumps(local))
    # A session whose later turn is bad keeps its good turns; a bad session rejects all.
    for session_id, turns in sessions:
        if not _storable_session(session_id):
            for number in range(1, len(turns) + 1 if isinstance(turns, list) else 1):
                written.good.pop(f"{session_id}-{number}", None)
    if as_zip:
        archive = root / "data" / "mb.zip"
        with zipfile.ZipFile(archive, "w") as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(folder.parent).as_posix())
        written.path = archive
    return written


def _storable_session(session_id: str) -> bool:
    return (
        session_id not in ("", ".", "..")
        and not any(char in session_id for char in "/\\\x00")
        and not any("\ud800" <= char <= "\udfff" for char in session_id)
        and len(session_id) <= SESSION_CHARS
    )


_IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
_HUB_SCHEMA = pa.schema(
    [
        ("img_id", pa.string()),
        ("turn_index", pa.int64()),
        ("source_img", _IMAGE),
        ("mask_img", _IMAGE),
        ("instruction", pa.string()),
        ("target_img", _IMAGE),
    ]
)


def write_hub(root: Path, batch: list[Item]) -> Written:
    folder = root / "data" / "hub"
    folder.mkdir(parents=True)
    _, secret = _outside(root)
    written = Written(path=folder / "dev.parquet", records=len(batch), outside=secret)
    rows: list[dict[str, Any]] = []
    for index, item in enumerate(batch):
        kind = item.kind
        img_id: str | None = f"h{index}-{item.text}"
        turn_index: int | None = 1 + item.position % 3
        if kind == "good-id-at-limit":
            img_id = (img_id + "i" * ID_CHARS)[: ID_CHARS - 2]
            turn_index = 1
        elif kind == "nul-id":
            img_id = _insert(img_id, "\x00", item.position)
        elif kind == "long-id":
            img_id = img_id + "i" * (ID_CHARS - len(img_id))
        elif kind == "null-id":
            img_id = None
        elif kind == "duplicate-id":
            if not rows or not written.good:
                kind = "good"
            else:
                first = next(row for row in rows if row["_id"] in written.good)
                img_id, turn_index = first["img_id"], first["turn_index"]
        turn_index = {
            "good-turn-max": INT32_MAX,
            "turn-over-int32": INT32_MAX + 1,
            "turn-over-int64": 2**63 - 1,
            "turn-negative": -1 - item.position,
            "turn-zero": 0,
            "turn-null": None,
        }.get(kind, turn_index)
        oversized = b"\x89PNG" + b"\x00" * LIMITS.max_file_bytes
        source: dict[str, Any] | None = {
            "bytes": oversized if kind == "oversized-image" else _image_bytes(kind, index, 0),
            "path": None,
        }
        if kind == "source-null":
            source = None
        elif kind == "source-path-only":
            source = {"bytes": None, "path": "../../outside/secret.png"}
        instruction: str | None = _instruction(item, index)
        if kind == "null-instruction":
            instruction = None
        external_id = f"{img_id}-{turn_index}"
        written.names.update({external_id, f"dev.parquet row {index}"})
        rows.append(
            {
                "_id": external_id,
                "img_id": img_id,
                "turn_index": turn_index,
                "source_img": source,
                "mask_img": {"bytes": _image_bytes(kind, index, 1), "path": None},
                "instruction": instruction,
                "target_img": {"bytes": _image_bytes(kind, index, 2), "path": None},
            }
        )
        if kind.startswith("good"):
            assert instruction is not None
            written.good[external_id] = instruction.strip()
    table_rows = [{key: value for key, value in row.items() if key != "_id"} for row in rows]
    table = pa.Table.from_pylist(table_rows, _HUB_SCHEMA)
    # Parquet writers need not check that text is UTF-8: store the raw bytes of the column.
    raw = [
        None if row["instruction"] is None else row["instruction"].encode() for row in table_rows
    ]
    for index, item in enumerate(batch):
        if item.kind == "not-utf8" and raw[index] is not None:
            raw[index] = b"\xff" + raw[index]
    column = pa.array(raw, pa.binary()).view(pa.string())
    table = table.set_column(table.schema.get_field_index("instruction"), "instruction", column)
    pq.write_table(table, written.path)
    return written
