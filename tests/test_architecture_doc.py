"""Every file or folder docs/architecture.md names exists, and every top-level module and
package of flows/ is named there (so a move that forgets the map fails here)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
# `a/b.py`, `a/b/`, `a/b.md`, `prefect.yaml`: backticked, with a folder or a known suffix.
PATH = re.compile(r"`([\w./-]+(?:/|\.py|\.md|\.yaml|\.toml))`")


def named_paths() -> set[str]:
    return {
        match
        for match in PATH.findall(DOC.read_text(encoding="utf-8"))
        if "/" in match or "." in match
    }


def test_every_path_the_map_names_exists() -> None:
    paths = named_paths()
    assert len(paths) > 40  # the map is a map, not a sentence
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []


def test_the_map_names_every_part_of_flows() -> None:
    paths = named_paths()
    parts = {
        f"flows/{p.name}" + ("/" if p.is_dir() else "")
        for p in (ROOT / "flows").iterdir()
        if p.name != "__init__.py" and not p.name.startswith(("_", "."))
    }
    mentioned = {p for p in parts if any(q == p or q.startswith(p) for q in paths)}
    assert sorted(parts - mentioned) == []
