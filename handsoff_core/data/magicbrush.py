"""Reader of the MagicBrush test/dev release layout (a folder or the zip itself).

Layout (MagicBrush authors' release; docs/method.md s3):
    edit_sessions.json        {img_id: [{input, mask, output, instruction}, ...]}  turn order
    global_descriptions.json  {img_id: {file name: caption}}  input and every output
    local_descriptions.json   {img_id: {output file name: caption}}  the edited region
    images/<img_id>/<img_id>-input.png, -mask<N>.png, -output<N>.png
Turn N's "input" names turn N-1's output file, so multi-turn sessions chain as released.

Rules: a top-level file that is missing (edit_sessions.json), malformed or not an object
makes the dataset unreadable; everything below that is judged per session or per turn and
rejected with a reason while the rest is read. The description files are optional (their
captions are then None); a session's description entry of the wrong shape rejects its turns.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from handsoff_core.data.archive import FileTree, MemberUnreadable, open_tree
from handsoff_core.data.bounds import DEFAULT_LIMITS, ReadLimits
from handsoff_core.data.json_shape import json_type
from handsoff_core.data.records import DatasetUnreadable, ImageBlob, RejectedRecord, SampleRecord

logger = logging.getLogger(__name__)

SESSIONS_FILE = "edit_sessions.json"
GLOBAL_DESCRIPTIONS_FILE = "global_descriptions.json"
LOCAL_DESCRIPTIONS_FILE = "local_descriptions.json"


class _Object(dict[str, Any]):
    """A JSON object that remembers the keys it saw twice (json keeps only the last)."""

    duplicate_keys: list[str]


def _object_hook(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    seen: set[str] = set()
    obj.duplicate_keys = []
    for key, _ in pairs:
        if key in seen:
            obj.duplicate_keys.append(key)
        seen.add(key)
    return obj


def _load_object(tree: FileTree, name: str, *, required: bool) -> _Object | None:
    """A top-level JSON object file; any problem with it is a dataset-level error."""
    if not tree.exists(name):
        if required:
            raise DatasetUnreadable(f"{tree.description}: {name} is missing")
        logger.warning("%s: %s is missing; its captions will be None", tree.description, name)
        return None
    try:
        text = tree.read(name).decode("utf-8-sig")
        value = json.loads(text, object_pairs_hook=_object_hook)
    except MemberUnreadable as exc:
        raise DatasetUnreadable(f"{tree.description}: {exc}") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and integers past Python's digit limit;
        # RecursionError, arrays nested thousands deep.
        raise DatasetUnreadable(f"{tree.description}: {name} is not valid JSON ({exc})") from exc
    if not isinstance(value, _Object):
        raise DatasetUnreadable(
            f"{tree.description}: {name} must be an object keyed by image id, "
            f"not {json_type(value)}"
        )
    return value


def _session_captions(
    descriptions: _Object | None, session_id: str, *, name: str
) -> dict[str, Any] | None:
    """This session's {file name: caption} entry; raises ValueError when wrongly shaped."""
    if descriptions is None or session_id not in descriptions:
        return None
    entry = descriptions[session_id]
    if not isinstance(entry, dict):
        raise ValueError(f"{name} entry is {json_type(entry)}, expected an object of captions")
    return entry


def _caption(captions: dict[str, Any] | None, file_name: str, *, name: str) -> str | None:
    if captions is None or captions.get(file_name) is None:
        return None
    caption = captions[file_name]
    if not isinstance(caption, str):
        raise ValueError(f"{name} caption of {file_name} is {json_type(caption)}")
    return caption


def _file_name(turn: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = turn.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise ValueError(f"field {key!r} must be a file name, got {value!r}")
    # A bare name only: "../../x" must not reach outside images/<img_id>/.
    if PurePosixPath(value).name != value or value in (".", "..") or "\\" in value:
        raise ValueError(f"field {key!r} must be a bare file name, got {value!r}")
    return value


def _check_session_id(session_id: str) -> None:
    # The id names the folder images/<img_id>/: one plain path component, nothing else.
    if (
        not session_id
        or session_id in (".", "..")
        or "/" in session_id
        or "\\" in session_id
        or "\x00" in session_id
    ):
        raise ValueError(f"session id {session_id!r} is not a plain folder name")


def _read_blob(tree: FileTree, session_id: str, file_name: str) -> ImageBlob:
    relative = f"images/{session_id}/{file_name}"
    return ImageBlob(data=tree.read(relative), origin=relative)


def _read_turn(
    tree: FileTree,
    session_id: str,
    turn_index: int,
    turn: Any,
    global_captions: dict[str, Any] | None,
    local_captions: dict[str, Any] | None,
) -> SampleRecord:
    """One turn as a record; raises ValueError or MemberUnreadable with the reason."""
    if not isinstance(turn, dict):
        raise ValueError(
            f"turn is {json_type(turn)}, expected an object with input, mask, output, instruction"
        )
    instruction = turn.get("instruction")
    if not isinstance(instruction, str):
        raise ValueError(f"field 'instruction' must be a string, got {instruction!r}")
    input_name = _file_name(turn, "input", required=True)
    output_name = _file_name(turn, "output", required=True)
    mask_name = _file_name(turn, "mask", required=False)
    assert input_name is not None and output_name is not None
    return SampleRecord(
        external_id=f"{session_id}-{turn_index}",
        session_id=session_id,
        turn_index=turn_index,
        instruction=instruction,
        source=_read_blob(tree, session_id, input_name),
        mask=None if mask_name is None else _read_blob(tree, session_id, mask_name),
        target=_read_blob(tree, session_id, output_name),
        input_caption_global=_caption(global_captions, input_name, name=GLOBAL_DESCRIPTIONS_FILE),
        output_caption_global=_caption(global_captions, output_name, name=GLOBAL_DESCRIPTIONS_FILE),
        output_caption_local=_caption(local_captions, output_name, name=LOCAL_DESCRIPTIONS_FILE),
    )


def _read_session(
    tree: FileTree,
    session_id: str,
    turns: Any,
    global_descriptions: _Object | None,
    local_descriptions: _Object | None,
) -> Iterator[SampleRecord | RejectedRecord]:
    if not isinstance(turns, list):
        yield RejectedRecord(
            f"session {session_id}",
            f"{SESSIONS_FILE}: session is {json_type(turns)}, expected a list of turns",
        )
        return
    if not turns:
        yield RejectedRecord(f"session {session_id}", f"{SESSIONS_FILE}: session has no turns")
        return
    try:
        global_captions = _session_captions(
            global_descriptions, session_id, name=GLOBAL_DESCRIPTIONS_FILE
        )
        local_captions = _session_captions(
            local_descriptions, session_id, name=LOCAL_DESCRIPTIONS_FILE
        )
    except ValueError as exc:
        for turn_index in range(1, len(turns) + 1):
            yield RejectedRecord(f"{session_id}-{turn_index}", str(exc))
        return
    try:
        _check_session_id(session_id)
    except ValueError as exc:
        for turn_index in range(1, len(turns) + 1):
            yield RejectedRecord(f"{session_id}-{turn_index}", str(exc))
        return
    for turn_index, turn in enumerate(turns, start=1):
        try:
            yield _read_turn(tree, session_id, turn_index, turn, global_captions, local_captions)
        except (ValueError, MemberUnreadable) as exc:
            yield RejectedRecord(f"{session_id}-{turn_index}", str(exc))


def read_magicbrush(
    path: Path, *, zip_password: str | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> Iterator[SampleRecord | RejectedRecord]:
    """Stream the turns of a MagicBrush folder or zip, in session then turn order.

    Raises `DatasetUnreadable` (on first iteration) when the dataset cannot be read at all.
    Every file is read through `limits` (confined, size-checked first).
    """
    with open_tree(path, marker=SESSIONS_FILE, password=zip_password, limits=limits) as tree:
        sessions = _load_object(tree, SESSIONS_FILE, required=True)
        assert sessions is not None
        global_descriptions = _load_object(tree, GLOBAL_DESCRIPTIONS_FILE, required=False)
        local_descriptions = _load_object(tree, LOCAL_DESCRIPTIONS_FILE, required=False)
        for session_id in sessions.duplicate_keys:
            yield RejectedRecord(
                f"session {session_id}",
                f"{SESSIONS_FILE}: session appears more than once; only its last entry is read",
            )
        for session_id, turns in sessions.items():
            yield from _read_session(
                tree, session_id, turns, global_descriptions, local_descriptions
            )


def count_magicbrush_turns(
    path: Path, *, zip_password: str | None = None, limits: ReadLimits = DEFAULT_LIMITS
) -> int:
    """Number of turns listed in edit_sessions.json (for progress bars; reads no image)."""
    with open_tree(path, marker=SESSIONS_FILE, password=zip_password, limits=limits) as tree:
        sessions = _load_object(tree, SESSIONS_FILE, required=True)
        assert sessions is not None
        # One item per turn, or one rejection for a session that is not a non-empty list.
        items = sum(len(t) if isinstance(t, list) and t else 1 for t in sessions.values())
        return items + len(sessions.duplicate_keys)
