"""Admin sign-in: no unsafe password outside the demo (page and `handsoff app`), failed
sign-ins back off and then lock out (logged), in every tab, until the lock-out expires."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from annotation_app.admin import throttle as throttle_module
from annotation_app.admin.throttle import SignInThrottle, ThrottlePolicy
from db.settings import DEMO_ADMIN_PASSWORD, load_settings
from flows.cli.app import build_app
from tests.annotation_app.conftest import ADMIN_PASSWORD, StudyApp, configure_app

ADMIN = "screens/admin.py"
UNSAFE = {
    "empty": ("", "is empty"),
    "short": ("eleven-char", "is shorter than 12 characters"),
    "demo default": (DEMO_ADMIN_PASSWORD, "is the demo default"),
}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle_module, "process_clock", fake)
    return fake


def sign_in(app: AppTest, password: str) -> AppTest:
    app.text_input(key="admin_password").input(password)
    app.button[0].click().run()  # the form's submit button
    assert not app.exception, app.exception
    return app


def signed_in(app: AppTest) -> bool:
    return any(s.value == "Progress per annotator" for s in app.subheader)


def lockouts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == throttle_module.__name__]


def error(app: AppTest) -> str:
    return app.error[0].value if app.error else ""


@pytest.mark.parametrize("case", list(UNSAFE))
def test_an_unsafe_password_disables_the_page_outside_the_demo(
    case: str,
    study_app: StudyApp,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    app_database_url: str,
) -> None:
    password, reason = UNSAFE[case]
    configure_app(monkeypatch, app_database_url, tmp_path, HANDSOFF_ADMIN_PASSWORD=password)
    app = study_app.open(page=ADMIN)
    assert f"admin page is disabled: HANDSOFF_ADMIN_PASSWORD {reason}" in error(app)
    assert "HANDSOFF_ADMIN_PASSWORD" in app.markdown[0].value  # what to set
    assert not app.text_input and not app.dataframe  # no way in, nothing shown


def test_twelve_characters_are_enough_and_the_demo_takes_its_default(
    study_app: StudyApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_database_url: str
) -> None:
    configure_app(monkeypatch, app_database_url, tmp_path, HANDSOFF_ADMIN_PASSWORD="twelve-chars")
    assert signed_in(sign_in(study_app.open(page=ADMIN), "twelve-chars"))
    configure_app(
        monkeypatch,
        app_database_url,
        tmp_path,
        HANDSOFF_ADMIN_PASSWORD=DEMO_ADMIN_PASSWORD,
        HANDSOFF_ENVIRONMENT="demo",
    )
    assert signed_in(sign_in(study_app.open(page=ADMIN), DEMO_ADMIN_PASSWORD))


@pytest.mark.parametrize("case", [*UNSAFE, "safe"])
def test_handsoff_app_says_at_start_that_the_admin_page_is_disabled(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_database_url: str
) -> None:
    password, reason = UNSAFE.get(case, (ADMIN_PASSWORD, ""))
    configure_app(monkeypatch, app_database_url, tmp_path, HANDSOFF_ADMIN_PASSWORD=password)
    monkeypatch.setattr(os, "execv", lambda path, argv: None)
    result = CliRunner().invoke(build_app(), ["app"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "admin page" in line]
    if case == "safe":
        assert lines == []
    else:
        (line,) = lines  # one line
        assert "stays disabled" in line and reason in line


def test_a_password_must_match_exactly(study_app: StudyApp, clock: Clock) -> None:
    for guess in (ADMIN_PASSWORD[:-1], ADMIN_PASSWORD + " ", ADMIN_PASSWORD.upper(), ""):
        app = sign_in(study_app.open(page=ADMIN), guess)
        assert not signed_in(app) and error(app).startswith("Wrong password"), guess
        clock.now += 3600  # past any back-off
    assert signed_in(sign_in(study_app.open(page=ADMIN), ADMIN_PASSWORD))


def test_wrong_passwords_back_off_doubling_even_for_the_right_one(
    study_app: StudyApp, clock: Clock
) -> None:
    app = study_app.open(page=ADMIN)
    for wait in (1, 2, 4, 8):
        sign_in(app, "guess")
        assert error(app) == f"Wrong password. Wait {wait} s before trying again."
        if wait < 8:
            clock.now += wait
    # during the wait the password is not even compared, in this tab or a new one
    sign_in(app, ADMIN_PASSWORD)
    assert not signed_in(app) and "Wait 8 s" in error(app)
    clock.now += 7.5
    new_tab = sign_in(study_app.open(page=ADMIN), ADMIN_PASSWORD)
    assert not signed_in(new_tab) and "Wait 1 s" in error(new_tab)
    clock.now += 0.5
    assert signed_in(sign_in(app, ADMIN_PASSWORD))
    # a success forgets the failures: the next wrong password waits 1 s again
    assert error(sign_in(study_app.open(page=ADMIN), "guess")).endswith(
        "Wait 1 s before trying again."
    )


def test_repeated_failures_lock_out_every_tab_are_logged_and_expire(
    study_app: StudyApp, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    policy = ThrottlePolicy.from_settings(load_settings())
    assert (policy.lockout_failures, policy.lockout_seconds) == (10, 900.0)  # the defaults
    app = study_app.open(page=ADMIN)
    with caplog.at_level(logging.WARNING, logger=throttle_module.__name__):
        for failure in range(1, 11):
            sign_in(app, "guess")
            if failure < 10:
                assert "Wait" in error(app) and not lockouts(caplog)
                clock.now += policy.backoff(failure)
    assert "locked for about 15 min" in error(app)
    (record,) = lockouts(caplog)
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "client local" in message and "10 failed sign-ins" in message
    assert "T" in message.split(" at ")[1]  # an ISO time stamp
    for _ in range(3):  # the right password, in a new tab, during the lock-out
        clock.now += 299
        locked = sign_in(study_app.open(page=ADMIN), ADMIN_PASSWORD)
        assert not signed_in(locked) and "locked" in error(locked)
    clock.now += 900 - 3 * 299
    assert signed_in(sign_in(study_app.open(page=ADMIN), ADMIN_PASSWORD))
    assert len(lockouts(caplog)) == 1


def test_the_lock_out_threshold_and_times_come_from_the_settings(
    study_app: StudyApp,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    app_database_url: str,
) -> None:
    configure_app(
        monkeypatch,
        app_database_url,
        tmp_path,
        HANDSOFF_ADMIN_LOCKOUT_FAILURES="2",
        HANDSOFF_ADMIN_LOCKOUT_SECONDS="60",
        HANDSOFF_ADMIN_BACKOFF_BASE_SECONDS="0",
    )
    app = study_app.open(page=ADMIN)
    assert error(sign_in(app, "guess")) == "Wrong password."  # no back-off configured
    assert "locked for about 1 min" in error(sign_in(app, "guess"))
    clock.now += 60
    assert signed_in(sign_in(app, ADMIN_PASSWORD))


# --- the throttle itself -----------------------------------------------------------------


def attempt_fails(throttle: SignInThrottle, client: str) -> None:
    assert throttle.begin_attempt(client) is None
    throttle.failed(client)


def test_clients_are_throttled_independently() -> None:
    throttle = SignInThrottle(ThrottlePolicy(lockout_failures=3), Clock())
    attempt_fails(throttle, "10.0.0.1")
    assert throttle.check("10.0.0.1") is not None
    assert throttle.check("10.0.0.2") is None


def test_attempts_in_parallel_do_not_slip_through_one_back_off() -> None:
    clock = Clock()
    throttle = SignInThrottle(ThrottlePolicy(lockout_failures=3), clock)
    attempt_fails(throttle, "c")
    clock.now += 1
    # many tabs submit at once: only the first is looked at until it is resolved
    assert throttle.begin_attempt("c") is None
    refused = [throttle.begin_attempt("c") for _ in range(50)]
    assert all(r is not None and not r.locked_out for r in refused)
    throttle.succeeded("c")  # that one had the right password
    assert throttle.check("c") is None


def test_the_attempt_that_reaches_the_limit_may_still_succeed() -> None:
    clock = Clock()
    throttle = SignInThrottle(ThrottlePolicy(lockout_failures=2, backoff_base_seconds=0), clock)
    attempt_fails(throttle, "c")
    assert throttle.begin_attempt("c") is None  # the second attempt is looked at
    throttle.succeeded("c")
    assert throttle.check("c") is None  # no lock-out: it was right


def test_failures_older_than_the_window_are_forgiven() -> None:
    clock = Clock()
    policy = ThrottlePolicy(lockout_failures=3, lockout_window_seconds=100, backoff_max_seconds=8)
    throttle = SignInThrottle(policy, clock)
    for _ in range(2):
        attempt_fails(throttle, "c")
        clock.now += 10
    clock.now += 100  # both failures leave the window
    assert throttle.begin_attempt("c") is None
    refusal = throttle.failed("c")
    assert refusal is not None and not refusal.locked_out
    assert refusal.retry_after == pytest.approx(1.0)  # back-off starts over too


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = ThrottlePolicy(backoff_base_seconds=1.5, backoff_max_seconds=10)
    assert [policy.backoff(k) for k in range(6)] == [0.0, 1.5, 3.0, 6.0, 10.0, 10.0]
    assert policy.backoff(10_000) == 10.0  # no overflow after a long siege
