"""A real browser against a real `streamlit run`: headless Chromium (Debian's package) driven
by Selenium opens an annotator link, answers an item with the keyboard only, and the
judgments are found in the database. The DOM is also scanned for method and gold markers.
A second test reads the layout: at 1280x800 (and 1400x1000, 1920x1080) every control of an
item lies inside the viewport, and screenshots are kept as test artifacts
(HANDSOFF_TEST_ARTIFACTS, default tests/artifacts/)."""

from __future__ import annotations

import contextlib
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
from sqlalchemy import Engine, func, select, update

from db.engine import make_engine, session_scope
from db.models import Annotator, Assignment, Judgment, Study, StudyOption
from db.queries.study import Verdict
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


GUIDELINES = "## Pilot guidelines\n\nJudge the **colour** the instruction asks for."


@pytest.fixture
def guidelines() -> str | None:
    return None


@pytest.fixture
def served_study(
    tmp_path: Path, sqlite_template: Path, guidelines: str | None
) -> Iterator[tuple[str, str, Engine, World]]:
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
        if guidelines is not None:
            session.execute(update(Study).values(guidelines=guidelines))
    try:
        with serve_app(url, tmp_path, {"HANDSOFF_ADMIN_PASSWORD": "browser-test-admin"}) as base:
            yield base, created.annotators[0].token, engine, world
    finally:
        engine.dispose()


@contextlib.contextmanager
def serve_app(url: str, tmp_path: Path, settings: dict[str, str]) -> Iterator[str]:
    """`streamlit run` of the app on a free port over database `url`, with `settings` as
    environment variables; yields the base URL once the server answers its health check."""
    port = free_port()
    env = {
        **os.environ,
        "HANDSOFF_DATABASE_URL": url,
        "HANDSOFF_HOME": str(tmp_path / "home"),
        **settings,
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
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


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


ARTIFACTS = Path(os.environ.get("HANDSOFF_TEST_ARTIFACTS", Path(__file__).parents[1] / "artifacts"))
# Every control of an item, as CSS selectors; each must match and lie inside the viewport.
ITEM_CONTROLS = {
    "instruction": ".st-key-annotate_instruction h2",
    "input": "img[alt='Input image']",
    "edit A": "img[alt='Edit A']",
    "edit B": "img[alt='Edit B']",
    **{
        f"{side} {verdict}": f"[class*='st-key-annotate_'][class*='_{side}_{verdict}'] button"
        for side in "AB"
        for verdict in ("yes", "no", "cant")
    },
    **{
        f"preference {kind}": f"[class*='st-key-annotate_'][class*='_pref_{kind}'] button"
        for kind in ("A", "B", "tie", "both_bad")
    },
    "submit": "[class*='st-key-annotate_'][class*='_submit'] button",
}
OUTSIDE = """
const [selector, width, height] = arguments;
const found = [...document.querySelectorAll(selector)].filter(e => e.offsetParent !== null);
if (found.length !== 1) return `matches ${found.length} visible elements`;
const r = found[0].getBoundingClientRect();
if (r.width < 8 || r.height < 8) return `is only ${r.width}x${r.height}`;
if (r.left < 0 || r.top < 0 || r.right > width || r.bottom > height)
    return `lies at ${Math.round(r.left)},${Math.round(r.top)}-` +
           `${Math.round(r.right)},${Math.round(r.bottom)}`;
return "";
"""


def set_viewport(browser: Any, width: int, height: int) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def controls_outside(browser: Any, width: int, height: int) -> dict[str, str]:
    problems = {}
    for name, selector in ITEM_CONTROLS.items():
        problem = browser.execute_script(OUTSIDE, selector, width, height)
        if problem:
            problems[name] = problem
    return problems


def image_height(browser: Any) -> float:
    return float(
        browser.execute_script(
            "return document.querySelector(\"img[alt='Edit A']\").getBoundingClientRect().height"
        )
    )


def page_scrolls(browser: Any) -> bool:
    return bool(
        browser.execute_script(
            "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
            "return m.scrollHeight > m.clientHeight + 1 || "
            "document.documentElement.scrollHeight > window.innerHeight + 1;"
        )
    )


def body_text(browser: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(browser.find_element(By.TAG_NAME, "body").text)


def verdicts_of(engine: Engine, position: int) -> dict[str, tuple[str, str | None]]:
    """{side: (verdict, reason)} of alice's item at `position`."""
    with session_scope(engine) as session:
        assignment = session.execute(
            select(Assignment)
            .join(Annotator, Annotator.id == Assignment.annotator_id)
            .where(Annotator.name == "alice", Assignment.position == position)
        ).scalar_one()
        rows = session.execute(
            select(StudyOption.position, Judgment.acceptable, Judgment.reason)
            .join(Judgment, Judgment.option_id == StudyOption.id)
            .where(Judgment.item_id == assignment.item_id)
        ).all()
    return {"AB"[p ^ int(assignment.swap_sides)]: (str(Verdict.stored(a)), r) for p, a, r in rows}


@pytest.mark.parametrize("guidelines", [GUIDELINES])
def test_an_item_fits_the_screen_and_every_screen_works_in_a_real_browser(
    served_study: tuple[str, str, Engine, World], browser: Any
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, token, engine, _ = served_study
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    set_viewport(browser, 1280, 800)
    browser.get(f"{base}/?token={token}")

    # The guidelines come first; the study's own text is rendered as markdown.
    wait_for(lambda: "Pilot guidelines" in body_text(browser), 60, "the guidelines page")
    assert browser.find_elements(By.XPATH, "//strong[text()='colour']")
    browser.save_screenshot(str(ARTIFACTS / "guidelines-1280x800.png"))
    browser.find_element(By.XPATH, "//button[.//p[text()='Start']]").click()
    wait_for(lambda: "1 of 4" in body_text(browser), 30, "item 1")
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "img[src*='/media/']")) == 3,
             30, "three images")  # fmt: skip
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='stSidebarNav']")

    sizes = {}
    for width, height in ((1280, 800), (1400, 1000), (1920, 1080)):
        set_viewport(browser, width, height)
        with contextlib.suppress(AssertionError):  # the layout settles after a resize
            wait_for(lambda w=width, h=height: not controls_outside(browser, w, h), 10, "")
        browser.save_screenshot(str(ARTIFACTS / f"item-{width}x{height}.png"))
        problems = controls_outside(browser, width, height)
        assert not problems, f"at {width}x{height}: {problems}"
        assert not page_scrolls(browser), f"the item scrolls at {width}x{height}"
        sizes[width] = image_height(browser)
    # Images take the room there is: at least 300 px on a laptop, larger on a big screen.
    assert sizes[1280] >= 300 and sizes[1920] > sizes[1280], sizes
    set_viewport(browser, 1280, 800)

    def press(key: str) -> None:
        ActionChains(browser).send_keys(key).perform()

    def press_until(key: str, condition: Callable[[], Any], what: str) -> None:
        for _ in range(3):  # see test_an_annotator_answers_an_item_with_the_keyboard
            press(key)
            try:
                wait_for(condition, 10, what)
                return
            except AssertionError:
                continue
        raise AssertionError(f"pressing {key!r} three times never gave {what}")

    # An incomplete submit says what is missing, and closes nothing.
    press_until(Keys.ENTER, lambda: "Still to answer" in body_text(browser), "missing answers")
    assert "is edit A acceptable?" in body_text(browser)
    browser.save_screenshot(str(ARTIFACTS / "item-incomplete-1280x800.png"))
    # Can't judge by keyboard, with a reason typed into its field.
    press_until(
        "5", lambda: verdicts_of(engine, 0).get("A", ("",))[0] == "cant_judge", "A can't judge"
    )
    field = wait_for(
        lambda: browser.find_element(By.CSS_SELECTOR, "[class*='_A_reason'] input"),
        10,
        "reason field",
    )
    field.send_keys("two cars in the input", Keys.ENTER)
    wait_for(lambda: verdicts_of(engine, 0)["A"] == ("cant_judge", "two cars in the input"),
             10, "reason stored")  # fmt: skip
    assert not controls_outside(browser, 1280, 800)  # the reason field leaves room
    browser.save_screenshot(str(ARTIFACTS / "item-cant-judge-1280x800.png"))
    # Leave the text field, so keys are shortcuts again.
    browser.find_element(By.CSS_SELECTOR, ".st-key-annotate_instruction h2").click()
    press_until("4", lambda: verdicts_of(engine, 0).get("B", ("",))[0] == "not_acceptable",
                "B judged")  # fmt: skip
    press_until("x", lambda: judgments_of_first_item(engine)[1] == "both_bad", "preference")
    press_until(Keys.ENTER, lambda: "2 of 4" in body_text(browser), "item 2")
    assert judgments_of_first_item(engine)[2]

    # The flicker key shows the input in the edits' places and back.
    press_until("f", lambda: browser.find_elements(
        By.CSS_SELECTOR, "img[alt='Input image (in place of edit A)']"), "flicker")  # fmt: skip
    press_until("f", lambda: browser.find_elements(By.CSS_SELECTOR, "img[alt='Edit A']"),
                "edits back")  # fmt: skip

    # History: reopen the first item from it.
    browser.find_element(By.XPATH, "//button[.//p[text()='History']]").click()
    wait_for(lambda: "Your submitted items" in body_text(browser), 30, "history")
    # the entry's answers are a second element, drawn after the title
    wait_for(lambda: "? can't judge" in body_text(browser), 30, "the history's answers")
    browser.save_screenshot(str(ARTIFACTS / "history-1280x800.png"))
    browser.find_element(By.XPATH, "//button[.//p[text()='Reopen']]").click()
    wait_for(lambda: "1 of 4" in body_text(browser), 30, "item 1 reopened")
    assert "Item 1 is open again" in body_text(browser)
    assert not judgments_of_first_item(engine)[2]
    # And the guidelines again, from the item.
    browser.find_element(By.XPATH, "//button[.//p[text()='Guidelines']]").click()
    wait_for(lambda: "Pilot guidelines" in body_text(browser), 30, "guidelines again")
