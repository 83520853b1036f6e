"""The admin page: credential from settings, demo default refused, figures and CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import session_scope
from db.models import Annotator, Assignment, StudyOption
from db.queries.study_admin import judgments_csv, list_studies
from db.settings import DEMO_ADMIN_PASSWORD
from tests.annotation_app.conftest import ADMIN_PASSWORD, StudyApp, configure_app
from tests.annotation_app.test_annotate_page import answer_current

ADMIN = "pages/admin.py"


def sign_in(app: AppTest, password: str) -> AppTest:
    app.text_input(key="admin_password").input(password)
    app.button[0].click().run()  # the form's submit button
    assert not app.exception, app.exception
    return app


def gold_target_on_side_a(study_app: StudyApp, name: str) -> bool:
    with session_scope(study_app.engine) as session:
        swap, target_position = session.execute(
            select(Assignment.swap_sides, StudyOption.position)
            .join(Annotator, Annotator.id == Assignment.annotator_id)
            .join(StudyOption, StudyOption.item_id == Assignment.item_id)
            .where(Annotator.name == name, StudyOption.gold_role == "gold_target")
        ).one()
    return target_position == int(swap)  # side A shows option (0 xor swap)


def test_the_admin_page_refuses_the_demo_password_outside_the_demo(
    study_app: StudyApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_database_url: str
) -> None:
    configure_app(
        monkeypatch, app_database_url, tmp_path, HANDSOFF_ADMIN_PASSWORD=DEMO_ADMIN_PASSWORD
    )
    app = study_app.open(page=ADMIN)
    assert "admin page is disabled" in app.error[0].value
    assert not app.text_input

    configure_app(
        monkeypatch,
        app_database_url,
        tmp_path,
        HANDSOFF_ADMIN_PASSWORD=DEMO_ADMIN_PASSWORD,
        HANDSOFF_ENVIRONMENT="demo",
    )
    demo = sign_in(study_app.open(page=ADMIN), DEMO_ADMIN_PASSWORD)
    assert next(s.value for s in demo.subheader) == "Progress per annotator"


def test_a_wrong_password_shows_nothing_of_the_study(study_app: StudyApp) -> None:
    app = sign_in(study_app.open(page=ADMIN), "guess")
    assert app.error[0].value == "Wrong password."
    assert not app.dataframe and not app.get("download_button")


def test_signed_in_the_admin_sees_progress_gold_time_agreement_and_exports(
    study_app: StudyApp,
) -> None:
    annotator = study_app.open(study_app.tokens["alice"])
    for _ in range(4):
        answer_current(annotator, a="yes", b="no")
    app = sign_in(study_app.open(page=ADMIN), ADMIN_PASSWORD)
    progress = app.dataframe[0].value
    alice = progress[progress["annotator"] == "alice"].iloc[0]
    bob = progress[progress["annotator"] == "bob"].iloc[0]
    assert alice["done"] == "4 of 4" and bob["done"] == "0 of 4"
    # gold item: A yes, B no: both right when side A showed the target, else both wrong
    target_on_a = gold_target_on_side_a(study_app, "alice")
    assert alice["gold accuracy"] == ("100%" if target_on_a else "0%")
    assert alice["gold judged"] == 2
    assert alice["median time per item"].endswith(" s")
    rates = app.dataframe[1].value
    assert sorted(rates["judgments"]) == [3, 3]
    assert rates["acceptable"].sum() == 3  # one "yes" per regular item, on side A
    for _, row in rates.iterrows():
        assert row["rate"] == f"{100 * row['acceptable'] / 3:.0f}%"
    assert {m.label: m.value for m in app.metric} == {
        "Fleiss' kappa": "–",  # nobody else has rated yet
        "Krippendorff's alpha (nominal)": "–",
    }
    export = app.get("download_button")[0]
    assert export.proto.label == "Export judgments (CSV)"


def test_the_export_holds_every_judgment_unblinded(study_app: StudyApp) -> None:
    annotator = study_app.open(study_app.tokens["bob"])
    answer_current(annotator, a="yes", b="yes", pref="tie")
    with session_scope(study_app.engine) as session:
        study = list_studies(session=session)[0]
        rows = list(csv.DictReader(io.StringIO(judgments_csv(session=session, study_id=study.id))))
    assert [(r["annotator"], r["acceptable"], r["preferred"]) for r in rows] == [
        ("bob", "True", "tie"),
        ("bob", "True", "tie"),
    ]
    assert {r["side_shown"] for r in rows} == {"A", "B"}
