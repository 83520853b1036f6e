"""The admin page in a real browser (headless Chromium against `streamlit run`, as in
test_browser.py): no page menu, a wrong password and its back-off, sign-in, the overview,
the per-item view with prev/next, and the flags; screenshots at 1280x800 and 1920x1080 are
kept as test artifacts (admin-*.png in HANDSOFF_TEST_ARTIFACTS, default tests/artifacts/)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from db.engine import make_engine, session_scope
from db.models import Annotator, Assignment, StudyItem, StudyOption
from db.queries.study import Verdict
from db.queries.study_create import create_study
from tests.annotation_app.test_browser import (  # noqa: F401 (fixtures)
    ARTIFACTS,
    body_text,
    browser,
    serve_app,
    set_viewport,
    wait_for,
)
from tests.study.test_flags import answer
from tests.study.world import METHODS, World, build_world

pytestmark = pytest.mark.slow

PASSWORD = "browser-test-admin"
SIZES = ((1280, 800), (1920, 1080))
YES, NO, CANT = Verdict.ACCEPTABLE, Verdict.NOT_ACCEPTABLE, Verdict.CANT_JUDGE


def answer_study(engine: Engine) -> None:
    """Alice answers carefully, bob quickly and against the gold, carol leaves one open."""
    with session_scope(engine) as session:
        rows = session.execute(
            select(Annotator.name, Annotator.id, Assignment.position, StudyItem.is_gold)
            .join(Assignment, Assignment.annotator_id == Annotator.id)
            .join(StudyItem, StudyItem.id == Assignment.item_id)
            .order_by(Annotator.name, Assignment.position)
        ).all()
        expected = dict(
            session.execute(
                select(StudyOption.position, StudyOption.expected_acceptable)
                .join(StudyItem, StudyItem.id == StudyOption.item_id)
                .where(StudyItem.is_gold.is_(True))
            ).all()
        )
        right = {option: YES if ok else NO for option, ok in expected.items()}
        wrong = {option: NO if ok else YES for option, ok in expected.items()}
        for name, annotator_id, position, is_gold in rows:
            if name == "carol" and position == 0:
                answer(session, annotator_id, position, {0: YES}, submit=False)
            elif name == "bob":
                answer(session, annotator_id, position, wrong if is_gold else {0: YES, 1: YES})
            elif is_gold:
                answer(session, annotator_id, position, right)
            else:
                careful = {0: YES, 1: CANT} if position == 1 else {0: YES, 1: NO}
                answer(session, annotator_id, position, careful)
        for name, seconds in (("alice", 14.0), ("bob", 0.9), ("carol", 8.5)):
            annotator_id = next(a for n, a, _, _ in rows if n == name)
            session.execute(
                update(Assignment)
                .where(
                    Assignment.annotator_id == annotator_id, Assignment.completed_at.is_not(None)
                )
                .values(seconds_spent=seconds)
            )


@pytest.fixture
def served_admin(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, World]]:
    path = tmp_path / "admin.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    world = build_world(engine, samples=4)
    with session_scope(engine) as session:
        create_study(
            session=session, run_id=world.run_id, methods=METHODS, name="pilot",
            annotators=["alice", "bob", "carol"], overlap=2, gold=1,
        )  # fmt: skip
    answer_study(engine)
    engine.dispose()
    settings = {"HANDSOFF_ADMIN_PASSWORD": PASSWORD, "HANDSOFF_ENVIRONMENT": "development"}
    with serve_app(url, tmp_path, settings) as base:
        yield base, world


def visible(driver: Any, selector: str) -> int:
    return int(
        driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])]"
            ".filter(e => e.offsetParent !== null).length;",
            selector,
        )
    )


def click_text(driver: Any, tag: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    wait_for(
        lambda: driver.find_element(By.XPATH, f"//{tag}[.//p[text()='{text}']]").is_enabled(),
        30,
        f"{tag} {text!r}",
    )
    driver.find_element(By.XPATH, f"//{tag}[.//p[text()='{text}']]").click()


def shoot(driver: Any, name: str) -> None:
    """Screenshots of the page as it is at every size (the page is redrawn per size)."""
    for width, height in SIZES:
        set_viewport(driver, width, height)
        time.sleep(0.8)  # let the layout settle
        driver.save_screenshot(str(ARTIFACTS / f"admin-{name}-{width}x{height}.png"))
    set_viewport(driver, *SIZES[0])


def sign_in(driver: Any, password: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    field = driver.find_element(By.CSS_SELECTOR, "input[type='password']")
    field.send_keys(Keys.CONTROL, "a")  # clear() leaves Streamlit's own copy of the value
    field.send_keys(Keys.DELETE)
    field.send_keys(password)
    click_text(driver, "button", "Sign in")


def test_the_admin_signs_in_and_reads_overview_items_and_flags_in_a_real_browser(
    served_admin: tuple[str, World],
    browser: Any,  # noqa: F811 (the fixture imported above)
) -> None:
    base, world = served_admin
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    set_viewport(browser, *SIZES[0])
    browser.get(f"{base}/admin")
    wait_for(lambda: "Admin password" in body_text(browser), 60, "the sign-in form")
    assert visible(browser, "[data-testid='stSidebarNav']") == 0  # no page menu
    assert visible(browser, "[data-testid='stSidebar']") == 0
    assert visible(browser, "header[data-testid='stHeader']") == 0
    assert "Annotate" not in body_text(browser)  # no link to the other page
    shoot(browser, "sign-in")

    sign_in(browser, "not the password")
    wait_for(lambda: "Wrong password" in body_text(browser), 30, "the refusal")
    assert "Wait 1 s" in body_text(browser)
    shoot(browser, "wrong-password")
    time.sleep(1.2)  # the back-off

    sign_in(browser, PASSWORD)
    wait_for(lambda: "Export judgments (CSV)" in body_text(browser), 60, "the overview")
    text = body_text(browser)
    assert "Progress per annotator" in text and "Agreement so far" in text
    assert "Admin password" not in text
    shoot(browser, "overview")

    click_text(browser, "label", "Per item")
    wait_for(lambda: "Item 1 of 5" in body_text(browser), 30, "the per-item view")
    text = body_text(browser)
    hashes = {m: world.config_hashes[m][:8] for m in METHODS}
    assert all(f"{m}@{h}" in text for m, h in hashes.items())  # unblinded, for the admin
    wait_for(lambda: visible(browser, "[data-testid='stImage'] img") == 3, 30, "three images")
    shoot(browser, "item")
    click_text(browser, "button", "Next →")
    wait_for(lambda: "Item 2 of 5" in body_text(browser), 30, "the next item")
    for _ in range(3):
        click_text(browser, "button", "Next →")
        time.sleep(0.5)
    wait_for(lambda: "Item 5 of 5" in body_text(browser), 30, "the gold item")
    assert "gold: unedited source (expected not acceptable)" in body_text(browser)
    shoot(browser, "gold-item")

    click_text(browser, "label", "Flags")
    wait_for(lambda: "annotators flagged" in body_text(browser), 30, "the flags")
    assert "1 of 3 annotators flagged: bob" in body_text(browser)
    shoot(browser, "flags")
