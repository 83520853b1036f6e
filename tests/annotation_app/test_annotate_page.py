"""The annotator's page under AppTest: tokens, answering, undo, resume, progress, end page,
and bad input (each a clear page, no trace, nothing written)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from db.models import Annotator, Assignment, Image, Judgment, StudyOption
from db.models.study import StudyDisplayImage
from db.queries.study_annotators import revoke_annotator
from tests.annotation_app.conftest import StudyApp


def button(app: AppTest, suffix: str) -> object:
    matches = [b for b in app.button if b.key and b.key.endswith(suffix)]
    assert len(matches) == 1, (
        f"no single button ending in {suffix!r}: {[b.key for b in app.button]}"
    )
    return matches[0]


def click(app: AppTest, suffix: str) -> AppTest:
    button(app, suffix).click().run()  # type: ignore[attr-defined]
    assert not app.exception, app.exception
    return app


def progress(app: AppTest) -> str:
    return str(app.get("progress")[0].proto.text)


def titles(app: AppTest) -> list[str]:
    return [t.value for t in app.title]


def written(engine: Engine) -> tuple[int, int]:
    """(judgments, assignments with a clock started or an answer) — zero when nothing written."""
    with session_scope(engine) as session:
        judgments = session.scalar(select(func.count(Judgment.id)))
        touched = session.scalar(
            select(func.count(Assignment.id)).where(
                (Assignment.shown_at.is_not(None)) | (Assignment.preference_kind.is_not(None))
            )
        )
    return int(judgments or 0), int(touched or 0)


def answer_current(app: AppTest, a: str = "yes", b: str = "no", pref: str = "A") -> AppTest:
    click(app, f"_A_{a}")
    click(app, f"_B_{b}")
    click(app, f"_pref_{pref}")
    return click(app, "_submit")


def test_missing_wrong_and_revoked_tokens_get_a_clear_page_and_write_nothing(
    study_app: StudyApp,
) -> None:
    assert titles(study_app.open()) == ["Please use your personal link"]
    assert titles(study_app.open("no-such-token")) == ["This link is not valid"]
    with session_scope(study_app.engine) as session:
        revoke_annotator(session=session, study="pilot", name="bob")
    revoked = study_app.open(study_app.tokens["bob"])
    assert titles(revoked) == ["This link has been withdrawn"]
    for app in (revoked,):
        assert not app.exception and not app.button
    assert written(study_app.engine) == (0, 0)


def test_the_first_item_shows_source_instruction_two_edits_and_progress(
    study_app: StudyApp,
) -> None:
    app = study_app.open(study_app.tokens["alice"])
    assert not app.exception
    assert progress(app) == "1 of 4"
    captions = [image.caption for element in app.main if type(element).__name__ == "Image"
                for image in element.proto.imgs]  # fmt: skip
    assert captions == ["Input image", "Edit A", "Edit B"]
    # The instruction is the page's heading now (the most prominent text).
    assert any("make object" in h.value for h in app.header)
    # Submit is always enabled: an incomplete submit says what is missing.
    assert not button(app, "_submit").disabled  # type: ignore[attr-defined]
    assert button(app, "undo").disabled  # type: ignore[attr-defined]
    assert written(study_app.engine) == (0, 1)  # the item's clock started


def test_every_answer_has_a_keyboard_shortcut(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    shortcuts = {b.key.split("_", 2)[-1]: b.proto.shortcut for b in app.button}  # type: ignore[union-attr]
    assert shortcuts == {
        "A_yes": "1", "A_no": "2", "B_yes": "3", "B_no": "4",
        "pref_A": "a", "pref_B": "b", "pref_tie": "t", "pref_both_bad": "x",
        "submit": "enter", "undo": "u", "flicker": "f",
        "A_cant": "5", "B_cant": "6", "guidelines": "g", "history": "h",
    }  # fmt: skip


def test_answering_stores_judgments_and_moves_on(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_A_yes")
    assert button(app, "_A_yes").proto.type == "primary"  # type: ignore[attr-defined]
    assert written(study_app.engine)[0] == 1
    click(app, "_B_no")
    click(app, "_pref_tie")
    assert not button(app, "_submit").disabled  # type: ignore[attr-defined]
    click(app, "_submit")
    assert progress(app) == "2 of 4"
    with session_scope(study_app.engine) as session:
        first = session.execute(
            select(Assignment).where(Assignment.position == 0).join(Annotator)
            .where(Annotator.name == "alice")
        ).scalar_one()  # fmt: skip
        answers = dict(
            session.execute(
                select(StudyOption.position, Judgment.acceptable)
                .join(Judgment, Judgment.option_id == StudyOption.id)
                .where(Judgment.item_id == first.item_id)
            ).all()
        )
    a_option = int(first.swap_sides)  # side A shows option 1 when swapped
    assert answers == {a_option: True, 1 - a_option: False}
    assert first.preference_kind == "tie" and first.completed_at is not None
    assert first.seconds_spent is not None and first.seconds_spent >= 0


def test_undo_reopens_the_last_answer_with_its_choices(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    answer_current(app, a="no", b="yes", pref="B")
    assert progress(app) == "2 of 4"
    click(app, "undo")
    assert progress(app) == "1 of 4"
    assert "Item 1 is open again" in app.info[0].value
    assert button(app, "_A_no").proto.type == "primary"  # type: ignore[attr-defined]
    assert button(app, "_pref_B").proto.type == "primary"  # type: ignore[attr-defined]
    click(app, "_A_yes")
    click(app, "_submit")
    assert progress(app) == "2 of 4"
    with session_scope(study_app.engine) as session:
        assert session.scalar(select(func.count(Judgment.id))) == 2


def test_a_refresh_resumes_exactly_where_the_annotator_stopped(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    answer_current(app)
    click(app, "_A_no")
    refreshed = study_app.open(study_app.tokens["alice"])
    assert progress(refreshed) == "2 of 4"
    assert button(refreshed, "_A_no").proto.type == "primary"  # type: ignore[attr-defined]
    assert button(refreshed, "_B_yes").proto.type == "secondary"  # type: ignore[attr-defined]


def test_the_end_page_after_the_last_item_and_on_return(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    for _ in range(4):
        answer_current(app)
    assert titles(app) == ["All done: thank you!"]
    assert progress(app) == "4 of 4"
    again = study_app.open(study_app.tokens["alice"])
    assert titles(again) == ["All done: thank you!"]
    click(again, "undo")
    assert progress(again) == "4 of 4" and not titles(again)


def test_a_stale_tab_cannot_answer_an_item_submitted_elsewhere(study_app: StudyApp) -> None:
    first_tab = study_app.open(study_app.tokens["alice"])
    second_tab = study_app.open(study_app.tokens["alice"])
    answer_current(first_tab, a="yes", b="yes")
    click(second_tab, "_A_no")
    assert "already submitted" in second_tab.info[0].value
    assert progress(second_tab) == "2 of 4"
    with session_scope(study_app.engine) as session:
        assert sorted(session.scalars(select(Judgment.acceptable))) == [True, True]


def test_an_item_with_a_missing_or_broken_image_gets_a_clear_page(study_app: StudyApp) -> None:
    with session_scope(study_app.engine) as session:
        assignments = session.scalars(
            select(Assignment).join(Annotator).where(Annotator.name == "alice")
            .order_by(Assignment.position)
        ).all()  # fmt: skip
        images = [
            session.scalar(
                select(StudyOption.image_sha256).where(
                    StudyOption.item_id == assignment.item_id, StudyOption.position == 0
                )
            )
            for assignment in assignments[:2]
        ]
        session.execute(update(Image).where(Image.sha256 == images[0]).values(data=b""))
        session.execute(update(Image).where(Image.sha256 == images[1]).values(data=b"not a png"))
        # As when they were broken at creation: no display images, encoded on the fly.
        session.execute(
            delete(StudyDisplayImage).where(
                StudyDisplayImage.item_id.in_([a.item_id for a in assignments[:2]])
            )
        )
    app = study_app.open(study_app.tokens["alice"])
    assert titles(app) == ["Item 1 of 4 cannot be shown"] and not app.exception
    assert written(study_app.engine) == (0, 0)
    click(app, "_skip")
    assert titles(app) == ["Item 2 of 4 cannot be shown"]
    assert written(study_app.engine) == (0, 0)
    click(app, "_skip")
    assert progress(app) == "3 of 4"


def test_an_annotator_without_items_gets_a_clear_page(study_app: StudyApp) -> None:
    with session_scope(study_app.engine) as session:
        alice = session.scalar(select(Annotator.id).where(Annotator.name == "alice"))
        session.execute(delete(Assignment).where(Assignment.annotator_id == alice))
    app = study_app.open(study_app.tokens["alice"])
    assert titles(app) == ["Nothing to do yet"] and not app.exception


def test_the_next_items_images_are_prepared_while_the_annotator_looks(
    study_app: StudyApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import annotation_app.blind_images as blind_images

    fetched: list[int] = []
    original = blind_images.shown_item_pngs

    def counting(**kwargs: Any) -> tuple[bytes, bytes, bytes]:
        fetched.append(kwargs["position"])
        return original(**kwargs)

    monkeypatch.setattr(blind_images, "shown_item_pngs", counting)
    app = study_app.open(study_app.tokens["alice"])
    assert fetched == [0, 1]  # item 1 shown, item 2 prepared
    answer_current(app)
    assert progress(app) == "2 of 4"
    assert fetched == [0, 1, 2]  # item 2 came from the cache; item 3 prepared


def test_an_incomplete_submit_names_what_is_missing_and_closes_nothing(
    study_app: StudyApp,
) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_submit")
    message = app.info[0].value
    assert "is edit A acceptable?" in message and "is edit B acceptable?" in message
    assert "which is better?" in message
    click(app, "_B_no")
    click(app, "_submit")
    message = app.info[0].value
    assert "is edit A acceptable?" in message and "which is better?" in message
    assert "edit B" not in message  # answered, so not named
    assert progress(app) == "1 of 4"
    click(app, "_A_yes")
    click(app, "_pref_tie")
    click(app, "_submit")
    assert progress(app) == "2 of 4" and not app.info


def test_selected_verdicts_carry_distinct_marks(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    click(app, "_A_yes")
    click(app, "_B_no")
    a_yes, b_no = button(app, "_A_yes"), button(app, "_B_no")
    assert a_yes.label.startswith("✓") and b_no.label.startswith("✗")  # type: ignore[attr-defined]
    assert (a_yes.proto.type, b_no.proto.type) == ("primary", "primary")  # type: ignore[attr-defined]
    assert button(app, "_A_no").proto.type == "secondary"  # type: ignore[attr-defined]


def test_the_instruction_is_the_page_heading(study_app: StudyApp) -> None:
    app = study_app.open(study_app.tokens["alice"])
    headers = [h.value for h in app.header]
    assert len(headers) == 1 and "make object" in headers[0]
    assert not app.title and not app.subheader


def test_flicker_shows_the_input_in_the_edits_places_and_back(
    study_app: StudyApp, media_urls: Any = None
) -> None:
    app = study_app.open(study_app.tokens["alice"])

    def images() -> list[tuple[str, str]]:
        return [(image.caption, image.url) for element in app.main
                if type(element).__name__ == "Image" for image in element.proto.imgs]  # fmt: skip

    normal = images()
    click(app, "_flicker")
    flickered = images()
    assert [caption for caption, _ in flickered] == [
        "Input image", "Input image (in place of edit A)", "Input image (in place of edit B)"
    ]  # fmt: skip
    assert len({url for _, url in flickered}) == 1  # the very input image, three times
    click(app, "_flicker")
    assert images() == normal
    assert written(study_app.engine)[0] == 0  # looking writes no answer
