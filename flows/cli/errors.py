"""Known failures as one line and a distinct exit code: the CLI's error boundary.

`explain()` maps an exception (or anything in its cause/context chain) to a `KnownFailure`:
what failed and what to do. `main()` prints that line instead of a traceback unless
`--debug` or HANDSOFF_DEBUG=1 is given. The codes are documented in the README
("Exit codes and errors"); 1 is a plain refusal (`fail()`), 2 a usage error, 3 a run
that did not complete.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    REFUSED = 1
    USAGE = 2
    RUN_INCOMPLETE = 3
    DATABASE_UNREACHABLE = 10
    DATABASE_LOCKED = 11
    DATABASE_READ_ONLY = 12
    DISK_FULL = 13
    SCHEMA_MISMATCH = 14
    BAD_DATABASE_URL = 15
    MODEL_UNAVAILABLE = 16
    OUT_OF_MEMORY = 17
    DATABASE_LOST = 18


@dataclass(frozen=True)
class KnownFailure:
    code: ExitCode
    message: str  # what failed and what to do, one line


# Passwords in URLs that drivers quote back in their messages ("user:secret@host").
_URL_PASSWORD = re.compile(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@")


def redact(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1***@", text)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's
        if isinstance(orig, BaseException) and id(orig) not in seen:
            yield orig
            seen.add(id(orig))
        current = current.__cause__ or current.__context__


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return redact(text.splitlines()[0] if text else type(error).__name__)


def _is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, MemoryError):
        return True
    # torch.OutOfMemoryError (CUDA/MPS) without importing torch here.
    return type(error).__name__ in ("OutOfMemoryError", "OutOfMemoryException")


def _classify(error: BaseException, where: str) -> KnownFailure | None:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from db.engine import DatabaseLost
    from handsoff_core.errors import ModelUnavailable

    text = str(error).lower()
    if isinstance(error, DatabaseLost):
        return KnownFailure(ExitCode.DATABASE_LOST, f"{_first_line(error)}")
    if isinstance(error, ModelUnavailable):
        return KnownFailure(
            ExitCode.MODEL_UNAVAILABLE,
            f"model weights missing: {_first_line(error)}; "
            "run `handsoff models check` (or `handsoff models build-tiny` for the tiny profile)",
        )
    if _is_out_of_memory(error):
        return KnownFailure(
            ExitCode.OUT_OF_MEMORY,
            "out of memory; try a smaller --batch-size, a smaller profile or --device cpu",
        )
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "disk is full" in text:
        return KnownFailure(
            ExitCode.DISK_FULL,
            f"disk full ({_first_line(error)}; database {where}): free space and run the "
            "command again (finished work is kept)",
        )
    if "no space left on device" in text or "could not extend file" in text:
        return KnownFailure(
            ExitCode.DISK_FULL,
            f"disk full at the database {where}: free space and run the command again",
        )
    if isinstance(error, (ArgumentError, NoSuchModuleError)) or "could not parse" in text:
        return KnownFailure(
            ExitCode.BAD_DATABASE_URL,
            f"bad database URL {where}: {_first_line(error)}; set HANDSOFF_DATABASE_URL to "
            "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME",
        )
    if "database is locked" in text or "lock timeout" in text or "locknotavailable" in text:
        return KnownFailure(
            ExitCode.DATABASE_LOCKED,
            f"database {where} is locked by another process: wait for it or stop it, then retry",
        )
    if "readonly database" in text or "read-only transaction" in text:
        return KnownFailure(
            ExitCode.DATABASE_READ_ONLY,
            f"database {where} is read-only: {_first_line(error)}; "
            "give this user write access or point HANDSOFF_DATABASE_URL elsewhere",
        )
    if "no such table" in text or ("does not exist" in text and "relation" in text):
        return KnownFailure(
            ExitCode.SCHEMA_MISMATCH,
            f"database {where} has no Hands-off schema ({_first_line(error)}): "
            "run `handsoff db upgrade`",
        )
    if "can't locate revision" in text:
        return KnownFailure(
            ExitCode.SCHEMA_MISMATCH,
            f"database {where} is at a schema revision this code does not know "
            "(newer code migrated it): upgrade Hands-off or use another database",
        )
    if isinstance(error, OperationalError) or "unable to open database" in text:
        return KnownFailure(
            ExitCode.DATABASE_UNREACHABLE,
            f"cannot reach the database {where}: {_first_line(error)}; check that it runs and "
            "that HANDSOFF_DATABASE_URL is right",
        )
    return None


def explain(error: BaseException, *, where: str) -> KnownFailure | None:
    """The known failure behind `error` (searching its causes), or None for a real bug.

    `where` names the database (redacted URL) for the message."""
    for link in _chain(error):
        known = _classify(link, where)
        if known is not None:
            return known
    return None
