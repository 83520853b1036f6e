"""When a submitted run should start: `--at TIME` (ISO 8601) or `--in 2h` / `30m` / `45s`.

Both are checked before anything is created: a time that does not parse or lies in the past
is refused with the text given and what was expected, so a typo cannot queue a run for 1970
or silently start it now.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from handsoff_core.errors import HandsoffError

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DELAY = re.compile(r"(\d+)\s*([smhd])")
_DELAY_WHOLE = re.compile(r"\s*(?:\d+\s*[smhd]\s*)+")


class StartTimeError(HandsoffError):
    """A start time that does not parse, or is not in the future."""


def parse_delay(text: str) -> timedelta:
    """`2h`, `30m`, `45s`, `1d`, or a sum such as `1h30m`."""
    if not _DELAY_WHOLE.fullmatch(text):
        raise StartTimeError(f"--in {text!r}: expected a delay such as 45s, 30m, 2h, 1d or 1h30m")
    seconds = sum(int(count) * _UNIT_SECONDS[unit] for count, unit in _DELAY.findall(text))
    if seconds <= 0:
        raise StartTimeError(f"--in {text!r}: the delay must be more than zero")
    return timedelta(seconds=seconds)


def parse_instant(text: str) -> datetime:
    """ISO 8601 (`2026-12-24T22:00`, `...+01:00`, `...Z`); without an offset, local time."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StartTimeError(
            f"--at {text!r}: expected an ISO 8601 time such as 2026-12-24T22:00 "
            "or 2026-12-24T22:00+01:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # a naive time is this machine's local time
    return parsed.astimezone(UTC)


def start_time(
    *, at: str | None, delay: str | None, now: datetime | None = None
) -> datetime | None:
    """The UTC time to start at, or None to start as soon as a worker is free."""
    if at is not None and delay is not None:
        raise StartTimeError("give --at or --in, not both")
    if at is None and delay is None:
        return None
    now = now or datetime.now(UTC)
    if delay is not None:
        return now + parse_delay(delay)
    assert at is not None
    when = parse_instant(at)
    if when <= now:
        raise StartTimeError(
            f"--at {at!r} is in the past ({when:%Y-%m-%d %H:%M:%S} UTC, now "
            f"{now:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return when
