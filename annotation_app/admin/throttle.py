"""Failed admin sign-ins slow down, then lock out, per client and for the whole process.

Streamlit keeps session state per browser tab, so a throttle kept there would reset with
every new tab. This one lives in the server process and is keyed by the client's address as
the connection reports it (`st.context.ip_address`); a connection without one (localhost)
shares a single key. Forwarded-for headers are not used: a client can write any value there
and so get a fresh key for every guess. Behind a reverse proxy every client has the proxy's
address, so a lock-out then holds for everyone, the administrator included, which is the
safe side.

After k consecutive failures the next attempt waits `base * 2**(k-1)` seconds (at most the
cap); `lockout_failures` failures within the window lock the client out for
`lockout_seconds`, whatever password it sends, and are logged as a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from db.settings import Settings

log = logging.getLogger(__name__)

# Clients remembered at most; beyond it, clients with nothing pending are forgotten first.
MAX_CLIENTS = 10_000
# The key of connections that report no address (localhost, tests).
UNKNOWN_CLIENT = "local"


def process_clock() -> float:
    """Seconds on a clock that never goes back (tests replace it)."""
    return time.monotonic()


@dataclass(frozen=True)
class ThrottlePolicy:
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    lockout_failures: int = 10
    lockout_window_seconds: float = 900.0
    lockout_seconds: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            backoff_base_seconds=settings.admin_backoff_base_seconds,
            backoff_max_seconds=settings.admin_backoff_max_seconds,
            lockout_failures=settings.admin_lockout_failures,
            lockout_window_seconds=settings.admin_lockout_window_seconds,
            lockout_seconds=settings.admin_lockout_seconds,
        )

    def backoff(self, consecutive_failures: int) -> float:
        if consecutive_failures <= 0:
            return 0.0
        # min() before the power would overflow for a long run of failures
        exponent = min(consecutive_failures - 1, 64)
        return min(self.backoff_max_seconds, self.backoff_base_seconds * 2.0**exponent)


@dataclass(frozen=True)
class Refusal:
    """A sign-in attempt not even checked: the client must wait `retry_after` seconds."""

    locked_out: bool
    retry_after: float


@dataclass
class _ClientRecord:
    failures: list[float] = field(default_factory=list)  # times within the window
    consecutive: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0
    lockout_logged: bool = False


class SignInThrottle:
    """Thread-safe: Streamlit runs each session's script in its own thread.

    An attempt counts as a failure from the moment it is let through (`begin_attempt`)
    until `succeeded` clears it, so attempts sent in parallel from many tabs cannot all
    slip through one back-off; `failed` confirms it (and logs a lock-out it caused).
    """

    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] | None = None) -> None:
        self.policy = policy
        # Looked up at each call, so a test can replace `process_clock` after creation.
        self._clock = clock or (lambda: process_clock())
        self._clients: dict[str, _ClientRecord] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> Refusal | None:
        """None when `client` may try a password now."""
        with self._lock:
            return self._refusal(client, self._clock())

    def begin_attempt(self, client: str) -> Refusal | None:
        """Let an attempt through (None, and it counts as a failure until `succeeded`), or
        refuse it without looking at the password."""
        now = self._clock()
        with self._lock:
            refusal = self._refusal(client, now)
            if refusal is not None:
                return refusal
            record = self._clients.setdefault(client, _ClientRecord())
            window_start = now - self.policy.lockout_window_seconds
            recent = [at for at in record.failures if at > window_start]
            # failures older than the window are forgiven, back-off included
            record.consecutive = record.consecutive + 1 if recent else 1
            record.failures = [*recent, now]
            record.last_failure = now
            if len(record.failures) >= self.policy.lockout_failures:
                record.locked_until = now + self.policy.lockout_seconds
            self._forget_idle(now)
            return None

    def failed(self, client: str) -> Refusal | None:
        """The attempt's password was wrong; the refusal the next attempt would get now."""
        now = self._clock()
        with self._lock:
            record = self._clients.get(client)
            if record is not None and now < record.locked_until and not record.lockout_logged:
                record.lockout_logged = True
                log.warning(
                    "admin sign-in locked out: client %s, %d failed sign-ins within %.0f s, "
                    "at %s, locked for %.0f s",
                    client,
                    len(record.failures),
                    self.policy.lockout_window_seconds,
                    datetime.now(UTC).isoformat(timespec="seconds"),
                    self.policy.lockout_seconds,
                )
            return self._refusal(client, now)

    def succeeded(self, client: str) -> None:
        """The right password: the client's failures are forgotten."""
        with self._lock:
            self._clients.pop(client, None)

    def _refusal(self, client: str, now: float) -> Refusal | None:
        record = self._clients.get(client)
        if record is None:
            return None
        if now < record.locked_until:
            return Refusal(locked_out=True, retry_after=record.locked_until - now)
        if record.locked_until:  # the lock-out is over: start afresh
            del self._clients[client]
            return None
        ready_at = record.last_failure + self.policy.backoff(record.consecutive)
        if now < ready_at:
            return Refusal(locked_out=False, retry_after=ready_at - now)
        return None

    def _forget_idle(self, now: float) -> None:
        if len(self._clients) <= MAX_CLIENTS:
            return
        window_start = now - self.policy.lockout_window_seconds
        for key in [
            key
            for key, record in self._clients.items()
            if record.locked_until <= now and record.last_failure <= window_start
        ]:
            del self._clients[key]
