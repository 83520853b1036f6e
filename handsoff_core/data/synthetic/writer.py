"""Writes the synthetic benchmark in the MagicBrush test layout, so the MagicBrush reader
imports it unchanged:

    edit_sessions.json, global_descriptions.json, local_descriptions.json,
    images/<id>/<id>-input.png, <id>-mask<N>.png, <id>-output<N>.png,
    synthetic.json (how it was made: generator version, seed, counts)

The output is byte-identical for a seed whatever the number of worker processes (see
`session.py`).
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from handsoff_core.data.synthetic.session import (
    GENERATOR_VERSION,
    SyntheticSession,
    make_session,
    turn_counts,
)

METADATA_FILE = "synthetic.json"


@dataclass(frozen=True)
class SyntheticSummary:
    out: Path
    sessions: int
    turns: int
    images: int
    kinds: dict[str, int]


def _make_session_args(args: tuple[int, int, int, int]) -> SyntheticSession:
    return make_session(*args)


def _sessions(seed: int, counts: list[int], size: int, workers: int) -> Iterator[SyntheticSession]:
    jobs = [(seed, index, n, size) for index, n in enumerate(counts)]
    if workers <= 1:
        yield from map(_make_session_args, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_make_session_args, jobs, chunksize=8)


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        if not (overwrite and (out / METADATA_FILE).is_file()):
            raise FileExistsError(
                f"{out} exists and is not empty"
                + (
                    ""
                    if not overwrite
                    else f" and holds no {METADATA_FILE}: refusing to replace it"
                )
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_synthetic_benchmark(
    out: Path,
    *,
    sessions: int = 535,
    seed: int = 0,
    size: int = 512,
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> SyntheticSummary:
    """Write `sessions` sessions to `out` (created; must be empty, or a previous synthetic
    benchmark when `overwrite`). `progress(n)` is called with each session's turn count."""
    if sessions < 1:
        raise ValueError(f"sessions must be at least 1, got {sessions}")
    if size < 32:
        raise ValueError(f"size must be at least 32 pixels, got {size}")
    _prepare(out, overwrite)
    counts = turn_counts(sessions, seed)
    edit_sessions: dict[str, list[dict[str, str]]] = {}
    global_descriptions: dict[str, dict[str, str]] = {}
    local_descriptions: dict[str, dict[str, str]] = {}
    kinds: Counter[str] = Counter()
    images = 0
    for session in _sessions(seed, counts, size, workers):
        folder = out / "images" / session.session_id
        folder.mkdir(parents=True, exist_ok=True)
        for name, png in session.png_files.items():
            (folder / name).write_bytes(png)
        images += len(session.png_files)
        edit_sessions[session.session_id] = session.turns
        global_descriptions[session.session_id] = session.global_descriptions
        local_descriptions[session.session_id] = session.local_descriptions
        kinds.update(session.kinds)
        if progress is not None:
            progress(len(session.turns))
    _write_json(out / "edit_sessions.json", edit_sessions)
    _write_json(out / "global_descriptions.json", global_descriptions)
    _write_json(out / "local_descriptions.json", local_descriptions)
    summary = SyntheticSummary(
        out=out,
        sessions=sessions,
        turns=sum(counts),
        images=images,
        kinds=dict(sorted(kinds.items())),
    )
    _write_json(
        out / METADATA_FILE,
        {
            "generator": "handsoff synthetic benchmark",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "size": size,
            "sessions": sessions,
            "turns": summary.turns,
            "images": images,
            "kinds": summary.kinds,
        },
    )
    return summary
