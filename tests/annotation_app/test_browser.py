"""A real browser against a real `streamlit run`: headless Chromium (Debian's package) driven
by Selenium opens an annotator link, answers an item with the keyboard only, and the
judgments are found in the database. The DOM is also scanned for method and gold markers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, session_scope
from db.models import Annotator, Assignment, Judgment, StudyOption
from db.queries.study_create import create_study
from flows.study import app_command
from tests.study.world import METHODS, World, build_world

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # the page or the server is still coming up
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def served_study(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, str, Engine, World]]:
    """(app URL, alice's token, engine, world) with `streamlit run` serving the app."""
    path = tmp_path / "browser.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    world = build_world(engine, samples=3)
    with session_scope(engine) as session:
        created = create_study(
            session=session, run_id=world.run_id, methods=METHODS, annotators=["alice"], gold=1
        )
    port = free_port()
    env = {
        **os.environ,
        "HANDSOFF_DATABASE_URL": url,
        "HANDSOFF_HOME": str(tmp_path / "home"),
        "HANDSOFF_ADMIN_PASSWORD": "browser-test-admin",
    }
    server = subprocess.Popen(
        app_command(host="127.0.0.1", port=port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).status == 200,
            60,
            "streamlit health",
        )
        yield base, created.annotators[0].token, engine, world
    finally:
        server.terminate()
        server.wait(timeout=20)
        engine.dispose()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        message = "needs Debian's chromium and chromium-driver (apt-get install them)"
        # CI installs both and sets this, so a missing browser fails there instead of
        # passing as a skip.
        if os.environ.get("HANDSOFF_TEST_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (dev extras)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1400,1200",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def judgments_of_first_item(engine: Engine) -> tuple[dict[str, bool], str | None, bool]:
    """({side: acceptable}, preference kind, submitted) for alice's first item."""
    with session_scope(engine) as session:
        assignment = session.execute(
            select(Assignment)
            .join(Annotator, Annotator.id == Assignment.annotator_id)
            .where(Annotator.name == "alice", Assignment.position == 0)
        ).scalar_one()
        rows = session.execute(
            select(StudyOption.position, Judgment.acceptable)
            .join(Judgment, Judgment.option_id == StudyOption.id)
            .where(Judgment.item_id == assignment.item_id)
        ).all()
    sides = {"AB"[position ^ int(assignment.swap_sides)]: ok for position, ok in rows}
    return sides, assignment.preference_kind, assignment.completed_at is not None


def test_an_annotator_answers_an_item_with_the_keyboard(
    served_study: tuple[str, str, Engine, World], browser: Any
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, token, engine, world = served_study
    browser.get(f"{base}/?token={token}")
    wait_for(lambda: "1 of 4" in browser.find_element(By.TAG_NAME, "body").text, 60, "item 1")
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "img[src*='/media/']")) == 3,
             30, "three images")  # fmt: skip
    alts = [img.get_attribute("alt") for img in browser.find_elements(By.TAG_NAME, "img")]
    assert {"Input image", "Edit A", "Edit B"} <= set(alts)

    def press(key: str) -> None:
        ActionChains(browser).send_keys(key).perform()

    def press_until(key: str, condition: Callable[[], Any], what: str) -> None:
        # The page registers its shortcuts after the first render, and a key pressed while
        # a rerun replaces the buttons can be lost on a loaded machine. These answers are
        # idempotent, so pressing again is safe; a key that never works still fails.
        for _ in range(3):
            press(key)
            try:
                wait_for(condition, 10, what)
                return
            except AssertionError:
                continue
        raise AssertionError(f"pressing {key!r} three times never gave {what}")

    press_until("1", lambda: judgments_of_first_item(engine)[0] == {"A": True}, "A judged")
    press_until(
        "4", lambda: judgments_of_first_item(engine)[0] == {"A": True, "B": False}, "B judged"
    )
    press_until("t", lambda: judgments_of_first_item(engine)[1] == "tie", "preference")
    # Submit becomes enabled on the rerun that follows the last answer.
    wait_for(
        lambda: browser.find_element(By.XPATH, "//button[.//p[text()='Submit']]").is_enabled(),
        30,
        "submit enabled",
    )
    press(Keys.ENTER)
    wait_for(lambda: judgments_of_first_item(engine)[2], 30, "submitted")
    wait_for(lambda: "2 of 4" in browser.find_element(By.TAG_NAME, "body").text, 30, "item 2")
    with session_scope(engine) as session:
        assert session.scalar(select(func.count(Judgment.id))) == 2

    # Streamlit's own markup uses words like "target" (HTML attributes), so the whole DOM is
    # scanned for the specific markers and the visible text for every forbidden word.
    page = browser.page_source.lower()
    text = browser.find_element(By.TAG_NAME, "body").text.lower()
    leaks = [word for word in world.forbidden_markers if word.lower() in page]
    leaks += [word for word in world.forbidden_strings if word.lower() in text]
    assert not leaks, f"the page contains {leaks}"
    assert browser.current_url.split("?", 1)[1] == f"token={token}"
