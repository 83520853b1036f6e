"""Helpers shared by CLI commands: settings, errors as clean exits, JSON output, user text
shown literally, ids parsed as bounded integers, NAME=VALUE options."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from db.settings import Settings, load_settings

# Human-readable output goes to stderr so `--json` output on stdout stays parseable.
console = Console(stderr=True, soft_wrap=True)

# Ids are database integers (BIGINT at most); anything larger is a typo, not a row.
MAX_ID = 2**63 - 1


def get_settings() -> Settings:
    return load_settings()


def _visible(char: str) -> str:
    """A control character as an escape a reader can see (ESC -> \\x1b, CR -> \\r)."""
    if char in "\n\t":
        return char
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0 or char in "\u2028\u2029":
        return repr(char)[1:-1]
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate cannot be written to a terminal
        return f"\\u{code:04x}"
    return char


def visible(value: object) -> str:
    """Text with control characters shown as escapes instead of acting on the terminal."""
    return "".join(_visible(char) for char in str(value))


def literal(value: object) -> str:
    """User text (names, ids, instructions, error texts) made safe for a rich console:
    markup escaped, control characters visible."""
    return escape(visible(value))


def fail(message: str, code: int = 1) -> NoReturn:
    """One error line on stderr; the message is shown literally (it often quotes user text)."""
    console.print(f"[bold red]error:[/] {literal(message)}")
    raise typer.Exit(code)


def id_problem(raw: str) -> str | None:
    """Why `raw` is not a row id (ASCII digits, 1..MAX_ID), or None when it is one."""
    # str.isdigit and int() accept '١٢' and other scripts' digits; ids are ASCII decimal.
    if not raw or not raw.isascii() or not raw.isdigit():
        return "expected a positive whole number like 12 (ASCII digits)"
    if len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        return f"out of range (ids are 1 to {MAX_ID})"
    return None


def row_id(value: str | int) -> int:
    """Typer `parser=` for `--run`, `--study`, `--resume`...: a bounded ASCII integer
    (click's usage error names the option; that panel shows text as it is, no markup)."""
    raw = str(value).strip()
    problem = id_problem(raw)
    if problem is not None:
        raise typer.BadParameter(f"{visible(repr(raw))}: {problem}")
    return int(raw)


def emit_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, default=str, sort_keys=False)
    sys.stdout.write("\n")


def parse_assignment(item: str, *, option: str, expected: str) -> tuple[str, Any]:
    """`NAME=VALUE` -> (NAME, VALUE): VALUE as JSON when it parses (numbers, booleans,
    lists), else the plain string (e.g. attention=fused). A malformed item is a clean exit
    naming the option and the form it expects."""
    name, equals, raw = item.partition("=")
    if not equals or not name.strip():
        fail(f"{option} {item!r}: expected {expected}")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return name.strip(), value
