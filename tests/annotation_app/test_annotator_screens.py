"""The annotator's page beyond one item: can't-judge with a reason, the guidelines screen,
the history of submitted items with reopening, and closed studies."""

from __future__ import annotations

from sqlalchemy import func, select, update

from db.base import utcnow
from db.engine import session_scope
from db.models import Annotator, Assignment, Judgment, Study
from db.queries.study import Verdict
from db.queries.study_annotators import revoke_annotator
from tests.annotation_app.conftest import StudyApp
from tests.annotation_app.test_annotate_page import (
    answer_current,
    button,
    click,
    progress,
    titles,
    written,
)

GUIDELINES = (
    "## Pilot guidelines\n\n"
    "An edit that *recolours the sky* when asked for a **red car** is not acceptable."
)


def verdicts(app_: StudyApp) -> list[tuple[str, bool | None, str | None]]:
    with session_scope(app_.engine) as session:
        rows = session.execute(
            select(Judgment.acceptable, Judgment.reason).order_by(Judgment.id)
        ).all()
    return [(str(Verdict.stored(a)), a, r) for a, r in rows]


def test_cant_judge_is_stored_with_its_reason_and_never_as_unacceptable(
    study_app: StudyApp,
) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_A_cant")
    assert button(app, "_A_cant").proto.type == "primary"  # type: ignore[attr-defined]
    reason = [t for t in app.text_input if t.key and t.key.endswith("_A_reason")]
    assert len(reason) == 1 and not [t for t in app.text_input if t.key.endswith("_B_reason")]
    reason[0].input("the instruction names two objects").run()
    assert not app.exception
    assert verdicts(study_app) == [("cant_judge", None, "the instruction names two objects")]
    # Can't judge counts as an answer: the item can be submitted.
    click(app, "_B_no")
    click(app, "_pref_both_bad")
    click(app, "_submit")
    assert progress(app) == "2 of 4"
    assert sorted(verdicts(study_app)) == [
        ("cant_judge", None, "the instruction names two objects"),
        ("not_acceptable", False, None),
    ]


def test_changing_cant_judge_to_a_verdict_drops_the_reason(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_B_cant")
    [field] = [t for t in app.text_input if t.key.endswith("_B_reason")]
    field.input("blurry").run()
    click(app, "_B_yes")
    assert verdicts(study_app) == [("acceptable", True, None)]
    assert not app.text_input  # the reason field belongs to can't judge only


def test_the_guidelines_come_first_and_are_reachable_from_every_item(
    study_app: StudyApp,
) -> None:
    with session_scope(study_app.engine) as session:
        session.execute(update(Study).values(guidelines=GUIDELINES))
    app = study_app.open(study_app.tokens["alice"])
    assert titles(app) == ["Guidelines"]
    page = " ".join(m.value for m in app.markdown)
    assert "Pilot guidelines" in page and "red car" in page and "Can't judge" in page
    assert written(study_app.engine) == (0, 0)  # the item's clock has not started
    click(app, "_back")
    assert progress(app) == "1 of 4" and written(study_app.engine) == (0, 1)
    answer_current(app)
    click(app, "_open_guidelines")
    assert titles(app) == ["Guidelines"] and "red car" in " ".join(m.value for m in app.markdown)
    click(app, "_back")
    assert progress(app) == "2 of 4"
    # A returning annotator who has started is not stopped by the guidelines again.
    assert titles(study_app.open(study_app.tokens["alice"])) == []


def test_a_study_without_guidelines_opens_on_the_item_and_still_defines_the_question(
    study_app: StudyApp,
) -> None:
    app = study_app.open(study_app.tokens["alice"])
    assert progress(app) == "1 of 4"
    click(app, "_open_guidelines")
    assert titles(app) == ["Guidelines"]
    assert "Not acceptable" in " ".join(m.value for m in app.markdown)


def test_history_lists_submitted_items_newest_first_and_reopens_any_of_them(
    study_app: StudyApp,
) -> None:
    app = study_app.open(study_app.tokens["alice"])
    answer_current(app, a="yes", b="no", pref="A")
    answer_current(app, a="no", b="no", pref="both_bad")
    answer_current(app, a="yes", b="yes", pref="tie")
    click(app, "_open_history")
    assert titles(app) == ["Your submitted items"]
    reopen = [b.key for b in app.button if b.key and "_reopen_" in b.key]
    assert reopen == ["annotate_reopen_2", "annotate_reopen_1", "annotate_reopen_0"]
    text = " ".join(m.value for m in app.markdown)
    assert "edit A: ✓ acceptable, edit B: ✗ not acceptable; A is better" in text
    assert "both bad" in text and "submitted" in text
    click(app, "_reopen_0")  # the first item, not only the last
    assert progress(app) == "1 of 4"
    assert "Item 1 is open again" in app.info[0].value
    assert button(app, "_A_yes").proto.type == "primary"  # type: ignore[attr-defined]
    click(app, "_A_no")
    click(app, "_submit")
    assert progress(app) == "4 of 4"  # back to the item that was open
    click(app, "_open_history")
    text = " ".join(m.value for m in app.markdown)
    assert "edit A: ✗ not acceptable, edit B: ✗ not acceptable; A is better" in text
    # Submitted again, so now the newest.
    reopen = [b.key for b in app.button if b.key and "_reopen_" in b.key]
    assert reopen == ["annotate_reopen_0", "annotate_reopen_2", "annotate_reopen_1"]
    with session_scope(study_app.engine) as session:
        done = session.scalar(
            select(func.count(Assignment.completed_at)).join(Annotator)
            .where(Annotator.name == "alice")
        )  # fmt: skip
    assert done == 3


def test_history_when_nothing_is_submitted_yet(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_open_history")
    assert "not submitted any item" in app.info[0].value
    click(app, "_back")
    assert progress(app) == "1 of 4"


def test_reopening_after_revocation_or_closing_gets_a_clear_page_and_changes_nothing(
    study_app: StudyApp,
) -> None:
    alice = study_app.open(study_app.tokens["alice"])
    bob = study_app.open(study_app.tokens["bob"])
    for app in (alice, bob):
        answer_current(app)
        click(app, "_open_history")
    with session_scope(study_app.engine) as session:
        revoke_annotator(session=session, study="pilot", name="alice")
    click(alice, "_reopen_0")
    assert titles(alice) == ["This link has been withdrawn"] and not alice.button
    with session_scope(study_app.engine) as session:
        session.execute(update(Study).values(closed_at=utcnow()))
    click(bob, "_reopen_0")
    assert titles(bob) == ["This study is closed"] and not bob.button
    with session_scope(study_app.engine) as session:
        done = session.scalar(select(func.count(Assignment.completed_at)))
    assert done == 2  # both first items are still submitted


def test_a_closed_study_gets_a_clear_page_and_writes_nothing(study_app: StudyApp) -> None:
    with session_scope(study_app.engine) as session:
        session.execute(update(Study).values(closed_at=utcnow()))
    app = study_app.open(study_app.tokens["alice"])
    assert titles(app) == ["This study is closed"]
    assert not app.exception and not app.button
    assert written(study_app.engine) == (0, 0)
