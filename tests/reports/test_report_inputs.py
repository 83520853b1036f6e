"""Bad input gives clear messages or a partial report that says what is missing, never a
crash or a silent zero (issue 7, "Bad input")."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete, update

from db.engine import session_scope
from db.models import (
    Annotator,
    Assignment,
    Judgment,
    MethodConfig,
    MetricValue,
    Run,
    RunMethodConfig,
    Study,
    StudyItem,
    StudyOption,
)
from db.queries.runs import RunNotFound
from db.queries.study import StudyNotFound
from flows.report import ReportInputError, ReportOptions, build_report, render_text
from tests.reports.conftest import SyntheticDatabase


def test_unknown_run_and_study_are_named(synthetic_db: SyntheticDatabase) -> None:
    with pytest.raises(RunNotFound, match=r"no run with id 999 \(latest run is \d+\)"):
        build_report(engine=synthetic_db.engine, run_id=999)
    with pytest.raises(StudyNotFound, match=r"no study with id 999; known studies: \d+"):
        build_report(engine=synthetic_db.engine, study_ids=[999])
    with pytest.raises(ReportInputError, match="name a run"):
        build_report(engine=synthetic_db.engine)


def test_a_study_alone_reports_on_its_run(synthetic_db: SyntheticDatabase) -> None:
    report = build_report(engine=synthetic_db.engine, study_ids=[synthetic_db.study.study_id])
    assert report.title.endswith(f"run {synthetic_db.evaluation.run_id}")


def test_a_study_of_another_run_is_refused(synthetic_db: SyntheticDatabase) -> None:
    evaluation = synthetic_db.evaluation
    with session_scope(synthetic_db.engine) as session:
        other = Run(dataset_id=evaluation.dataset_id, profile="tiny", seed=0, selection={})
        session.add(other)
        session.flush()
        other_id = other.id
    with pytest.raises(ReportInputError, match=f"belongs to run {evaluation.run_id}, not"):
        build_report(
            engine=synthetic_db.engine, run_id=other_id, study_ids=[synthetic_db.study.study_id]
        )


def test_unknown_or_ambiguous_baseline_lists_the_configs(synthetic_db: SyntheticDatabase) -> None:
    run_id = synthetic_db.evaluation.run_id
    with pytest.raises(ReportInputError, match="is not a config of this run; the run's configs"):
        build_report(
            engine=synthetic_db.engine, run_id=run_id, options=ReportOptions(baseline="hive")
        )
    with pytest.raises(ReportInputError, match="'handsoff' is ambiguous"):
        build_report(
            engine=synthetic_db.engine, run_id=run_id, options=ReportOptions(baseline="handsoff")
        )
    # A unique label, its first word (method@hash-prefix) or a config id works.
    identity = synthetic_db.evaluation.config_ids["identity"]
    with session_scope(synthetic_db.engine) as session:
        heavy = session.get(MethodConfig, synthetic_db.evaluation.config_ids["handsoff w=1.25"])
        assert heavy is not None
        label = heavy.label
    assert label.endswith(" w=1.25")
    for baseline in (label, label.split(" ")[0], label.split(" ")[0][:-2], str(identity)):
        report = build_report(
            engine=synthetic_db.engine, run_id=run_id, options=ReportOptions(baseline=baseline)
        )
        assert any(s.title.startswith("Paired differences to") for s in report.sections)


def test_study_without_judgments_is_a_partial_report(synthetic_db: SyntheticDatabase) -> None:
    evaluation = synthetic_db.evaluation
    with session_scope(synthetic_db.engine) as session:
        study = Study(
            name="empty",
            run_id=evaluation.run_id,
            method_config_ids=[evaluation.config_ids["handsoff w=1"]],
            overlap=2,
            seed=0,
        )
        session.add(study)
        session.flush()
        item = StudyItem(study_id=study.id, sample_id=evaluation.sample_ids[0])
        session.add(item)
        session.flush()
        session.add(StudyOption(item_id=item.id, position=0, image_sha256=evaluation.image_sha256))
        annotator = Annotator(
            study_id=study.id, name="nobody", token_hash=hashlib.sha256(b"x").hexdigest()
        )
        session.add(annotator)
        session.flush()
        session.add(
            Assignment(annotator_id=annotator.id, item_id=item.id, position=0, swap_sides=False)
        )
        study_id = study.id
    report = build_report(engine=synthetic_db.engine, study_ids=[study_id])
    text = render_text(report)
    assert f"study {study_id}: no judgments yet, so no acceptability, test or agreement" in (
        report.missing
    )
    assert "No counted judgments yet" in text
    assert "Acceptable edits per method" not in text and "Fleiss" not in text
    annotators = next(t for t in report.tables() if t.key == f"annotators_study{study_id}")
    # Nothing judged: no accuracy and no time, never 0%.
    assert annotators.rows == [["nobody", "1", "0", "0", "0", "0", "0", "n/a", "n/a"]]


def test_method_config_without_edits_and_unscored_run(synthetic_db: SyntheticDatabase) -> None:
    evaluation = synthetic_db.evaluation
    with session_scope(synthetic_db.engine) as session:
        config = MethodConfig(method="magicbrush", params={}, config_hash="f" * 64)
        session.add(config)
        session.flush()
        session.add(RunMethodConfig(run_id=evaluation.run_id, method_config_id=config.id))
        config_id = config.id
    report = build_report(engine=synthetic_db.engine, run_id=evaluation.run_id)
    assert f"magicbrush@ffffffff (config {config_id}): no edits" in report.missing
    means = next(t for t in report.tables() if t.key == "metric_means")
    row = next(r for r in means.rows if r[0] == "magicbrush@ffffffff")
    assert set(row[1:]) == {"n/a"}

    with session_scope(synthetic_db.engine) as session:
        session.execute(delete(MetricValue))
    report = build_report(engine=synthetic_db.engine, run_id=evaluation.run_id)
    assert any(
        "done edits but no metric values: run `handsoff score --run" in m for m in report.missing
    )
    assert not any(t.key == "metric_means" for t in report.tables())


def test_run_without_configs_or_edits(synthetic_db: SyntheticDatabase) -> None:
    with session_scope(synthetic_db.engine) as session:
        run = Run(
            dataset_id=synthetic_db.evaluation.dataset_id, profile="tiny", seed=9, selection={}
        )
        session.add(run)
        session.flush()
        run_id = run.id
    report = build_report(engine=synthetic_db.engine, run_id=run_id)
    assert f"run {run_id} has no method configs" in report.missing
    text = render_text(report)
    assert "Edits per method config" in text
    # Numbers from random weights are said to measure nothing.
    assert "Profile tiny has random weights" in text
    synthetic = render_text(
        build_report(engine=synthetic_db.engine, run_id=synthetic_db.evaluation.run_id)
    )
    assert "Synthetic rows (flows.bench.synthetic_run)" in synthetic


def test_unanimous_judgments_make_agreement_undefined_not_zero(
    synthetic_db: SyntheticDatabase,
) -> None:
    with session_scope(synthetic_db.engine) as session:
        session.execute(update(Judgment).values(acceptable=True))
    report = build_report(engine=synthetic_db.engine, run_id=synthetic_db.evaluation.run_id)
    study_id = synthetic_db.study.study_id
    assert any("Fleiss' kappa not available: every judgment" in m for m in report.missing)
    agreement = next(t for t in report.tables() if t.key == f"agreement_study{study_id}")
    assert [row[1] for row in agreement.rows] == ["n/a", "n/a"]


def test_two_versions_of_a_metric_stay_apart(synthetic_db: SyntheticDatabase) -> None:
    # Rescoring L1 with a new definition adds values of another version: the report shows
    # both columns, labelled by version, and never averages across them.
    evaluation = synthetic_db.evaluation
    rescored = [edit for (label, _), edit in evaluation.done_edits.items() if label == "identity"]
    with session_scope(synthetic_db.engine) as session:
        session.add_all(
            MetricValue(edit_id=edit, metric="l1", metric_version="l1/2", value=0.5)
            for edit in rescored
        )
    report = build_report(engine=synthetic_db.engine, run_id=evaluation.run_id)
    means = next(t for t in report.tables() if t.key == "metric_means")
    assert "l1 [l1/1+synthetic] ↓" in means.columns and "l1 [l1/2] ↓" in means.columns
    column = means.columns.index("l1 [l1/2] ↓")
    by_method = {row[0].split("@")[0]: (row[0], row[column]) for row in means.rows}
    assert by_method["identity"][0].endswith(" (oracle: unedited source)")
    assert by_method["identity"][1] == "0.5000"
    assert by_method["instruct-pix2pix"][1] == "n/a"
