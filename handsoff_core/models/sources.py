"""Where a model reference points: a hub id, a local folder, or an in-memory architecture.

Also the revision that goes into cache keys: a hub snapshot's commit, or for a local folder a
fingerprint of its files (so replacing the weights in a folder never reuses old results).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from handsoff_core.models.tiny.build import ARCH_PREFIX, TINY_PREFIX

SourceKind = Literal["hub", "local", "arch", "tiny-unbuilt"]
# Files whose presence makes a folder a model (transformers / diffusers layouts).
_MODEL_MARKERS = ("config.json", "model_index.json")


@dataclass(frozen=True)
class ModelSource:
    reference: str
    kind: SourceKind


def classify(reference: str) -> ModelSource:
    if reference.startswith(ARCH_PREFIX):
        return ModelSource(reference, "arch")
    if reference.startswith(TINY_PREFIX):
        return ModelSource(reference, "tiny-unbuilt")
    # Hub ids are "name" or "owner/name"; anything else is a path.
    looks_like_path = reference.startswith(("/", "./", "../", "~")) or reference.count("/") > 1
    if looks_like_path or Path(reference).exists():
        return ModelSource(reference, "local")
    return ModelSource(reference, "hub")


def is_model_folder(path: Path) -> bool:
    return path.is_dir() and any((path / marker).is_file() for marker in _MODEL_MARKERS)


def folder_fingerprint(path: Path) -> str:
    """sha256 of every file's relative path, size and mtime (cheap; no weights are read)."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        stat = file.stat()
        digest.update(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def hub_snapshot(repo_id: str, revision: str | None) -> Path | None:
    """The locally cached snapshot of a hub model, or None (never downloads)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(str(snapshot_download(repo_id, revision=revision, local_files_only=True)))
    except Exception:  # not cached, offline, bad id: all mean "not here"
        return None


def resolved_revision(reference: str, revision: str | None) -> str | None:
    """What identifies the weights for cache keys: commit sha, folder fingerprint, or arch."""
    source = classify(reference)
    if source.kind == "arch":
        return "random-weights"
    if source.kind == "local":
        path = Path(reference).expanduser()
        return f"folder:{folder_fingerprint(path)}" if path.is_dir() else None
    if source.kind == "hub":
        snapshot = hub_snapshot(reference, revision)
        return snapshot.name if snapshot is not None else revision
    return None
