"""What the database accepts of a record's fields, checked before anything is written.

The limits themselves (column lengths, integer ranges) belong to the database schema, which
this package does not import: the importer reads them from the models and passes them in as
`FieldLimits`. Rules that hold for every column (no NUL, no lone surrogate: PostgreSQL and
UTF-8 encoding refuse both) need no limits and always apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from handsoff_core.errors import RecordRejected

# NUL (PostgreSQL text cannot hold it) and UTF-16 surrogate halves (valid JSON "\ud800",
# but not encodable as UTF-8, so every driver refuses them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class FieldLimits:
    """Column lengths (characters) and integer ranges (inclusive) by record field name."""

    max_chars: Mapping[str, int] = field(default_factory=dict)
    integer_ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)


NO_LIMITS = FieldLimits()


def check_text(value: str, *, name: str, max_chars: int | None) -> None:
    """Raise `RecordRejected` when `value` cannot be stored as the text field `name`."""
    if not value.isascii() or "\x00" in value:
        bad = _UNSTORABLE.search(value)
        if bad is not None:
            char = bad.group()
            kind = "a NUL character" if char == "\x00" else f"a lone surrogate {char!r}"
            raise RecordRejected(f"{name} contains {kind} at position {bad.start()}")
    if max_chars is not None and len(value) > max_chars:
        raise RecordRejected(
            f"{name} has {len(value)} characters, over the column's limit of {max_chars}"
        )


def check_integer(value: int, *, name: str, bounds: tuple[int, int] | None) -> None:
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise RecordRejected(
            f"{name} {value} is outside the column's range {bounds[0]}..{bounds[1]}"
        )


def check_fields(values: Mapping[str, str | int | None], limits: FieldLimits) -> None:
    """Check every text and integer field of `values` against `limits`; None is absent."""
    for name, value in values.items():
        if isinstance(value, str):
            check_text(value, name=name, max_chars=limits.max_chars.get(name))
        elif isinstance(value, int):
            check_integer(value, name=name, bounds=limits.integer_ranges.get(name))
