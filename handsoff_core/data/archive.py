"""A dataset's files, from a folder or from a zip, behind one small interface.

The MagicBrush test set ships as a zip whose members may sit under a top-level folder
("test/edit_sessions.json"); unpacked, it is the same tree on disk. `open_tree` finds the
folder holding a marker file (`edit_sessions.json`) in either, so the reader above it never
knows which one it reads — zip and folder give identical records.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Protocol

from handsoff_core.data.bounds import (
    DEFAULT_LIMITS,
    PathRefused,
    ReadLimits,
    confined_path,
    read_bounded,
    too_large,
)
from handsoff_core.data.records import DatasetUnreadable


class MemberUnreadable(Exception):
    """One file of the tree is missing or cannot be read; the message says which and why."""


class FileTree(Protocol):
    description: str  # for messages: "folder /data/test" or "zip /data/test.zip (test/)"

    def read(self, relative: str) -> bytes:
        """Bytes of `relative` (POSIX path under the tree's root); raises MemberUnreadable."""
        ...

    def exists(self, relative: str) -> bool: ...


class FolderTree:
    """Files under `root` only: every path is resolved and confined (see `bounds`)."""

    def __init__(self, root: Path, limits: ReadLimits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.limits = limits
        self.description = f"folder {root}"

    def exists(self, relative: str) -> bool:
        return (self.root / relative).is_file()

    def read(self, relative: str) -> bytes:
        # Confinement is not optional for a folder: only symlinks can be allowed.
        limits = ReadLimits(self.limits.max_file_bytes, self.limits.allow_symlinks, False)
        try:
            path = confined_path(self.root, relative, limits=limits, what=relative)
        except ValueError as exc:  # PathRefused, or a name the file system cannot encode
            raise MemberUnreadable(str(exc)) from exc
        if not path.is_file():
            raise MemberUnreadable(f"{relative}: referenced file is missing")
        try:
            return read_bounded(path, max_bytes=self.limits.max_file_bytes, what=relative)
        except PathRefused as exc:
            raise MemberUnreadable(str(exc)) from exc
        except OSError as exc:
            raise MemberUnreadable(f"{relative}: cannot read ({exc})") from exc


class ZipTree:
    def __init__(
        self,
        archive: zipfile.ZipFile,
        prefix: str,
        path: Path,
        limits: ReadLimits = DEFAULT_LIMITS,
    ) -> None:
        self.archive = archive
        self.limits = limits
        self.prefix = prefix  # "" or "test/"
        self.names = set(archive.namelist())
        self.description = f"zip {path}" + (f" ({prefix})" if prefix else "")

    def exists(self, relative: str) -> bool:
        return self.prefix + relative in self.names

    def read(self, relative: str) -> bytes:
        name = self.prefix + relative
        if name not in self.names:
            raise MemberUnreadable(f"{relative}: referenced file is missing from the zip")
        declared = self.archive.getinfo(name).file_size
        max_bytes = self.limits.max_file_bytes
        if declared > max_bytes:
            raise MemberUnreadable(too_large(relative, declared, max_bytes))
        try:
            # The header's size may lie: read at most one byte past the limit.
            with self.archive.open(name) as member:
                data = member.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise MemberUnreadable(too_large(relative, len(data), max_bytes))
            return data
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
            # Bad CRC, truncated member, wrong password: this member only.
            raise MemberUnreadable(f"{relative}: cannot read from the zip ({exc})") from exc


def _is_metadata(name: str) -> bool:
    # macOS archivers add __MACOSX/ resource forks and ._ files next to the real ones.
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or any(part.startswith("._") for part in parts)


def _single_root(candidates: list[str], *, marker: str, where: str) -> str:
    """The shallowest folder holding `marker`; refuse when that choice is ambiguous."""
    if not candidates:
        raise DatasetUnreadable(f"{where}: no {marker} found (not a MagicBrush layout)")
    depth = min(len(PurePosixPath(c).parts) for c in candidates)
    shallowest = sorted(c for c in candidates if len(PurePosixPath(c).parts) == depth)
    if len(shallowest) > 1:
        raise DatasetUnreadable(
            f"{where}: several {marker} files ({', '.join(shallowest)}); point at one of their "
            "folders"
        )
    parent = str(PurePosixPath(shallowest[0]).parent)
    return "" if parent == "." else parent + "/"


@contextmanager
def open_tree(
    path: Path,
    *,
    marker: str,
    password: str | None = None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[FileTree]:
    """The folder or zip at `path`, rooted where `marker` is (at most one folder down)."""
    if not path.exists():
        raise DatasetUnreadable(f"{path}: no such file or folder")
    if path.is_dir():
        if (path / marker).is_file():
            yield FolderTree(path, limits)
            return
        found = [str(p.relative_to(path).as_posix()) for p in sorted(path.glob(f"*/{marker}"))]
        root = _single_root(found, marker=marker, where=f"folder {path}")
        yield FolderTree(path / root, limits)
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetUnreadable(f"{path}: not a readable zip ({exc})") from exc
    with archive:
        if password is not None:
            archive.setpassword(password.encode())
        found = [
            name
            for name in archive.namelist()
            if PurePosixPath(name).name == marker and not _is_metadata(name)
        ]
        prefix = _single_root(found, marker=marker, where=f"zip {path}")
        encrypted = any(info.flag_bits & 0x1 for info in archive.infolist())
        if encrypted and password is None:
            raise DatasetUnreadable(
                f"{path}: the zip is password-protected; pass its password (the MagicBrush "
                "authors give it on request) or unzip it and import the folder"
            )
        yield ZipTree(archive, prefix, path, limits)
