"""Where a reader may read and how much: confinement to the dataset's folder and a
per-file size limit checked before a byte is read.

A dataset is untrusted input: a session id "../../etc", an absolute path in a JSONL line or a
symlink planted in the folder must not make the importer read files the user did not hand
over, and a record naming a multi-GB file must be refused from its size, not after reading it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The largest MagicBrush image is well under 2 MB; 64 MiB leaves room for users' own
# high-resolution files while refusing videos, disk images and other mistakes.
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024


class PathRefused(ValueError):
    """A referenced path outside the dataset, through a symlink, or over the size limit."""


@dataclass(frozen=True)
class ReadLimits:
    """What readers may read: at most `max_file_bytes` per file, only under the dataset's
    folder unless `allow_outside`, and never through a symlink unless `allow_symlinks`."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    allow_symlinks: bool = False
    allow_outside: bool = False


DEFAULT_LIMITS = ReadLimits()


def _symlink_below(root: Path, path: Path) -> Path | None:
    """The first component of `path` at or below `root` that is a symlink, if any."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        parts = path.parts  # an absolute path elsewhere: check all of it
        root = Path(parts[0])
        parts = parts[1:]
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def confined_path(root: Path, relative: str, *, limits: ReadLimits, what: str) -> Path:
    """`relative` under `root`, checked; raises `PathRefused` saying why it is refused."""
    if "\x00" in relative:
        raise PathRefused(f"{what}: path {relative!r} contains a NUL character")
    try:
        os.fsencode(relative)
    except UnicodeEncodeError:
        raise PathRefused(f"{what}: path {relative!r} is not a valid file name") from None
    candidate = Path(relative)
    if candidate.is_absolute() and not limits.allow_outside:
        raise PathRefused(
            f"{what}: absolute path {relative!r} refused (allow paths outside the dataset "
            "folder explicitly to import it)"
        )
    path = root / candidate
    try:
        return _checked(root, path, relative, limits=limits, what=what)
    except OSError as exc:
        # A name the file system refuses to look up (too long, ...): this record only.
        raise PathRefused(
            f"{what}: path {relative!r} cannot be looked up ({exc.strerror})"
        ) from None


def _checked(root: Path, path: Path, relative: str, *, limits: ReadLimits, what: str) -> Path:
    if not limits.allow_symlinks:
        link = _symlink_below(root, path)
        if link is not None:
            raise PathRefused(
                f"{what}: {relative!r} goes through the symlink {link.name!r} (allow symlinks "
                "explicitly to follow it)"
            )
    if not limits.allow_outside and not _inside(root, path, relative, limits=limits):
        raise PathRefused(
            f"{what}: {relative!r} points outside the dataset folder (allow paths outside "
            "it explicitly to import it)"
        )
    return path


def _inside(root: Path, path: Path, relative: str, *, limits: ReadLimits) -> bool:
    """Whether `path` (root / relative) stays inside `root`. With symlinks refused (checked
    before this) only `..` components can leave the folder, so the relative path is judged
    lexically: resolving every path costs a system call per component, the largest share
    of an import's path handling. With symlinks allowed, their targets are resolved."""
    if limits.allow_symlinks:
        return path.resolve().is_relative_to(root.resolve())
    normal = os.path.normpath(relative)
    return not (
        os.path.isabs(normal) or normal == os.pardir or normal.startswith(os.pardir + os.sep)
    )


def read_bounded(path: Path, *, max_bytes: int, what: str) -> bytes:
    """The bytes of `path` when it holds at most `max_bytes`; the size is checked on the open
    file before reading, and the read stops at the limit should the file grow meanwhile."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise PathRefused(too_large(what, size, max_bytes))
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PathRefused(too_large(what, len(data), max_bytes))
    return data


def too_large(what: str, size: int, max_bytes: int) -> str:
    return f"{what} is {size} bytes, over the per-file limit of {max_bytes} bytes"
