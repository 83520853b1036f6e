"""Every number of `handsoff report`'s text output, traced back to a SQL query on the base
tables (not the report views), on SQLite and PostgreSQL.

Counts and means must match exactly (to the printed rounding); bootstrap intervals must
match an independent `scipy.stats.bootstrap` over the values SQL returns, to Monte Carlo
error; Wilson intervals, McNemar's test and the agreement coefficients are recomputed from
SQL counts with statsmodels, scipy and krippendorff called directly. At the end no line of
the report that holds a digit may be left unchecked.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from typing import Any

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sqlalchemy import text
from statsmodels.stats.inter_rater import fleiss_kappa
from statsmodels.stats.proportion import proportion_confint

from flows.report import build_report, render_text
from handsoff_core.statistics.bootstrap import DEFAULT_RESAMPLES
from tests.reports.conftest import SPEC, SyntheticDatabase
from tests.reports.report_text import ParsedReport, parse_report

# Display order and labels, as the report promises them (docs/sql.md, formatting).
METRICS = [
    ("l1", "none"),
    ("l2", "none"),
    ("clip-i", "none"),
    ("dino", "none"),
    ("clip-t", "global"),
    ("clip-t", "local"),
    ("preservation-l1", "none"),
    ("preservation-psnr", "none"),
    ("preservation-ssim", "none"),
    ("caption-bleu", "none"),
    ("caption-cosine", "none"),
]
LOWER_IS_BETTER = {"l1", "l2", "preservation-l1"}
ORACLES = {"identity": "oracle: unedited source", "ground-truth": "oracle: target"}


def plain(metric: str, kind: str) -> str:
    return metric if kind == "none" else f"{metric} ({kind})"


def arrowed(metric: str, kind: str) -> str:
    return plain(metric, kind) + (" ↓" if metric in LOWER_IS_BETTER else " ↑")


def assert_value(cell: str, expected: float | None) -> None:
    """A printed value: 4 decimals, 2 when |x| >= 10, or n/a for no value."""
    if expected is None:
        assert cell == "n/a"
        return
    decimals = 2 if abs(expected) >= 10 else 4
    assert len(cell.split(".")[-1]) == decimals, cell
    assert float(cell) == pytest.approx(expected, abs=0.5 * 10**-decimals + 1e-9), cell


def assert_interval(cell: str, values: np.ndarray) -> None:
    """A printed bootstrap interval against scipy's own bootstrap of the same values."""
    if len(values) < 2:
        assert cell == "n/a"
        return
    low, high = (float(x) for x in cell.strip("[]").split(", "))
    if np.ptp(values) == 0:
        assert low == pytest.approx(values[0], abs=1e-4) and high == pytest.approx(
            values[0], abs=1e-4
        )
        return
    reference = stats.bootstrap(
        (values,), np.mean, n_resamples=4000, method="percentile", rng=np.random.default_rng(99)
    ).confidence_interval
    width = reference.high - reference.low
    assert low == pytest.approx(reference.low, abs=0.25 * width + 1e-4), (cell, reference)
    assert high == pytest.approx(reference.high, abs=0.25 * width + 1e-4), (cell, reference)


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def wilson(successes: int, trials: int) -> str:
    low, high = proportion_confint(successes, trials, alpha=0.05, method="wilson")
    return f"[{percent(low)}, {percent(high)}]"


class Database:
    def __init__(self, synthetic: SyntheticDatabase) -> None:
        self.engine = synthetic.engine

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())

    def one(self, sql: str, **params: Any) -> Any:
        return self.rows(sql, **params)[0][0]


def config_labels(db: Database) -> dict[int, tuple[str, str]]:
    """config id -> (label, method), from the stored params."""
    labels = {}
    rows = db.rows("SELECT id, method, params, config_hash FROM method_config")
    for config_id, method, params, config_hash in rows:
        params = json.loads(params) if isinstance(params, str) else params
        weight = f" w={params['weight']:g}" if "weight" in params else ""
        labels[int(config_id)] = (f"{method}@{config_hash[:8]}{weight}", method)
    return labels


def metric_values(db: Database, config_id: int, metric: str, kind: str) -> np.ndarray:
    rows = db.rows(
        "SELECT mv.value FROM metric_value mv JOIN edit e ON e.id = mv.edit_id "
        "WHERE e.method_config_id = :c AND e.status = 'done' AND mv.metric = :m "
        "AND mv.caption_kind = :k AND mv.value IS NOT NULL",
        c=config_id,
        m=metric,
        k=kind,
    )
    return np.array([float(r[0]) for r in rows])


# A judgment counts when its item is submitted and its annotator not revoked (migration
# 0003); can't judge (acceptable NULL) is counted apart, never as a verdict.
COUNTED = (
    "JOIN assignment ca ON ca.annotator_id = j.annotator_id AND ca.item_id = j.item_id "
    "JOIN annotator cn ON cn.id = j.annotator_id "
    "WHERE ca.completed_at IS NOT NULL AND cn.revoked_at IS NULL"
)

COUNTED_ASSIGNMENT = (
    "JOIN annotator cn ON cn.id = a.annotator_id "
    "WHERE a.completed_at IS NOT NULL AND cn.revoked_at IS NULL"
)


def unsettle(db: Database) -> None:
    """Answers that must not count, and can't-judge answers: a revoked annotator, three
    reopened items (answers kept) and five can't-judge verdicts."""
    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE annotator SET revoked_at = CURRENT_TIMESTAMP WHERE name = 'annotator001'")
        )
        connection.execute(
            text(
                "UPDATE assignment SET completed_at = NULL WHERE id IN (SELECT a.id FROM "
                "assignment a JOIN annotator n ON n.id = a.annotator_id WHERE n.name = "
                "'annotator000' AND a.completed_at IS NOT NULL ORDER BY a.id LIMIT 3)"
            )
        )
        connection.execute(
            text(
                "UPDATE judgment SET acceptable = NULL, reason = 'blurry' WHERE id IN (SELECT "
                "j.id FROM judgment j JOIN annotator n ON n.id = j.annotator_id WHERE n.name = "
                "'annotator002' ORDER BY j.id LIMIT 5)"
            )
        )


def test_every_number_in_the_text_report_comes_from_sql(synthetic_db: SyntheticDatabase) -> None:
    db = Database(synthetic_db)
    unsettle(db)
    run_id = db.one("SELECT MAX(id) FROM run")
    report = parse_report(render_text(build_report(engine=synthetic_db.engine, run_id=run_id)))
    labels = config_labels(db)
    check_header_and_missing(report, db, run_id, labels)
    check_edits_and_means(report, db, labels)
    check_intervals_and_sweep(report, db, labels)
    check_paired_differences(report, db, labels)
    check_study(report, db, run_id, labels)
    assert report.unchecked_lines_with_numbers() == []


def check_header_and_missing(
    report: ParsedReport, db: Database, run_id: int, labels: dict[int, tuple[str, str]]
) -> None:
    report.check_line(f"Hands-off evaluation report: run {run_id}")
    dataset, profile, seed, setting, status = db.rows(
        "SELECT d.name, r.profile, r.seed, r.setting, r.status FROM run r "
        "JOIN dataset d ON d.id = r.dataset_id WHERE r.id = :r",
        r=run_id,
    )[0]
    samples = db.one("SELECT COUNT(*) FROM sample")
    configs = db.one("SELECT COUNT(*) FROM run_method_config WHERE run_id = :r", r=run_id)
    report.check_line(
        f"Run {run_id} on dataset {dataset}: profile {profile}, seed {seed}, setting "
        f"{setting}, status {status}; {samples} samples, {configs} method configs."
    )
    missing = db.rows(
        "SELECT e.method_config_id, k.metric, k.caption_kind, COUNT(*) FROM edit e "
        "CROSS JOIN (SELECT DISTINCT metric, caption_kind, metric_version FROM metric_value) k "
        "WHERE e.status = 'done' AND NOT EXISTS (SELECT 1 FROM metric_value mv "
        "WHERE mv.edit_id = e.id AND mv.metric = k.metric AND mv.caption_kind = k.caption_kind "
        "AND mv.metric_version = k.metric_version) "
        "GROUP BY e.method_config_id, k.metric, k.caption_kind"
    )
    by_config: dict[int, dict[tuple[str, str], int]] = {}
    for config_id, metric, kind, count in missing:
        by_config.setdefault(int(config_id), {})[(metric, kind)] = int(count)
    assert by_config, "the fixture leaves some metrics unscored"
    expected = []
    for config_id in sorted(by_config):
        gaps = ", ".join(
            f"{plain(*key)} {by_config[config_id][key]}"
            for key in METRICS
            if key in by_config[config_id]
        )
        expected.append(
            f"- {labels[config_id][0]}: metric values missing for done edits ({gaps}); "
            f"run `handsoff score --run {run_id}`"
        )
    listed = [line for line in report.lines if line.startswith("- ")]
    assert listed == expected
    for line in expected:
        report.check_line(line)


def check_edits_and_means(
    report: ParsedReport, db: Database, labels: dict[int, tuple[str, str]]
) -> None:
    samples = db.one("SELECT COUNT(*) FROM sample")
    edits = report.table("Edits per method config")
    report.check_table_structure(edits)
    expected = []
    for config_id, total, done, failed in db.rows(
        "SELECT method_config_id, COUNT(*), SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) FROM edit "
        "GROUP BY method_config_id ORDER BY method_config_id"
    ):
        label, method = labels[int(config_id)]
        role = ORACLES.get(method, "method")
        expected.append(
            [str(config_id), label, role, str(total), str(done), str(failed), str(samples - total)]
        )
    assert edits.rows == expected
    report.checked.update(edits.row_lines)

    means = report.table("Mean per method config")
    report.check_table_structure(means)
    assert means.columns == ["method config", *(arrowed(*key) for key in METRICS)]
    averages = {
        (int(c), m, k): (None if v is None else float(v))
        for c, m, k, v in db.rows(
            "SELECT e.method_config_id, mv.metric, mv.caption_kind, AVG(mv.value) "
            "FROM metric_value mv JOIN edit e ON e.id = mv.edit_id WHERE e.status = 'done' "
            "GROUP BY e.method_config_id, mv.metric, mv.caption_kind"
        )
    }
    assert len(means.rows) == len(labels)
    for row, config_id in zip(means.rows, sorted(labels), strict=True):
        label, method = labels[config_id]
        assert row[0] == label + (f" ({ORACLES[method]})" if method in ORACLES else "")
        for cell, (metric, kind) in zip(row[1:], METRICS, strict=True):
            assert_value(cell, averages.get((config_id, metric, kind)))
    report.checked.update(means.row_lines)


def check_intervals_and_sweep(
    report: ParsedReport, db: Database, labels: dict[int, tuple[str, str]]
) -> None:
    counts = {
        (int(c), m, k): (int(n), int(na))
        for c, m, k, n, na in db.rows(
            "SELECT e.method_config_id, mv.metric, mv.caption_kind, COUNT(mv.value), "
            "COUNT(mv.not_applicable) FROM metric_value mv JOIN edit e ON e.id = mv.edit_id "
            "WHERE e.status = 'done' GROUP BY e.method_config_id, mv.metric, mv.caption_kind"
        )
    }
    outcome = {
        int(c): (int(done), int(failed))
        for c, done, failed in db.rows(
            "SELECT method_config_id, SUM(CASE WHEN status = 'done' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) FROM edit GROUP BY method_config_id"
        )
    }
    by_label = {label: config_id for config_id, (label, _) in labels.items()}
    table = report.table("Means with 95% bootstrap intervals")
    report.check_table_structure(table)
    assert len(table.rows) == len(METRICS) * len(labels)
    for row in table.rows:
        record = dict(zip(table.columns, row, strict=True))
        key = next(k for k in METRICS if arrowed(*k) == record["metric"])
        config_id = by_label[record["method config"]]
        values = metric_values(db, config_id, *key)
        n, na = counts.get((config_id, *key), (0, 0))
        done, failed = outcome[config_id]
        assert record["n"] == str(n) == str(len(values))
        assert_value(record["mean"], float(values.mean()) if n else None)
        assert_interval(record["CI"], values)
        assert record["n/a"] == str(na)
        assert record["missing"] == str(done - n - na)
        assert record["failed"] == str(failed)
    report.checked.update(table.row_lines)

    sweep = report.table("handsoff: metrics against weight")
    report.check_table_structure(sweep)
    assert [row[0] for row in sweep.rows] == [f"{w:g}" for w in SPEC.weights]
    for row in sweep.rows:
        config_id = by_label[row[1]]
        assert row[1].startswith("handsoff@") and row[1].endswith(f" w={row[0]}")
        for cell, key in zip(row[2:], METRICS, strict=True):
            values = metric_values(db, config_id, *key)
            mean, _, interval = cell.partition(" ")
            assert_value(mean, float(values.mean()) if len(values) else None)
            if len(values):
                assert_interval(interval, values)
    report.checked.update(sweep.row_lines)


def check_paired_differences(
    report: ParsedReport, db: Database, labels: dict[int, tuple[str, str]]
) -> None:
    baseline = next(c for c, (_, method) in labels.items() if method == "instruct-pix2pix")
    name = labels[baseline][0]
    report.check_line(f"Paired differences to {name}")  # the digit of pix2pix
    report.check_line(
        f"Mean of (config - {name}) over samples both edited, 95% bootstrap interval:"
    )
    table = report.table(f"Mean of (config - {name})")
    report.checked.update({table.title_line + 1, table.title_line + 2})
    by_label = {label: config_id for config_id, (label, _) in labels.items()}
    shown = [key for key in METRICS if len(metric_values(db, baseline, *key))]
    assert len(table.rows) == len(shown) * (len(labels) - 1)
    for row in table.rows:
        record = dict(zip(table.columns, row, strict=True))
        key = next(k for k in METRICS if arrowed(*k) == record["metric"])
        differences = np.array(
            [
                float(r[0])
                for r in db.rows(
                    "SELECT a.value - b.value FROM metric_value a "
                    "JOIN edit ea ON ea.id = a.edit_id "
                    "JOIN edit eb ON eb.sample_id = ea.sample_id "
                    "AND eb.method_config_id = :base AND eb.status = 'done' "
                    "JOIN metric_value b ON b.edit_id = eb.id AND b.metric = a.metric "
                    "AND b.caption_kind = a.caption_kind "
                    "AND b.metric_version = a.metric_version "
                    "WHERE ea.method_config_id = :c AND ea.status = 'done' AND a.metric = :m "
                    "AND a.caption_kind = :k AND a.value IS NOT NULL AND b.value IS NOT NULL",
                    base=baseline,
                    c=by_label[record["method config"]],
                    m=key[0],
                    k=key[1],
                )
            ]
        )
        assert record["pairs"] == str(len(differences))
        assert_value(record["mean difference"], float(differences.mean()))
        assert_interval(record["CI"], differences)
    report.checked.update(table.row_lines)


def option_counts(db: Database) -> list[tuple[int, int, int | None, int, int, int]]:
    """(item, option, method config, counted verdicts, acceptable ones, counted can't judge)
    of every non-gold option."""
    return [
        (int(i), int(o), None if c is None else int(c), int(n or 0), int(a or 0), int(k or 0))
        for i, o, c, n, a, k in db.rows(
            "SELECT so.item_id, so.id, so.method_config_id, "
            "SUM(CASE WHEN cj.acceptable IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN cj.acceptable THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN cj.id IS NOT NULL AND cj.acceptable IS NULL THEN 1 ELSE 0 END) "
            "FROM study_option so JOIN study_item si ON si.id = so.item_id "
            f"LEFT JOIN (SELECT j.* FROM judgment j {COUNTED}) cj ON cj.option_id = so.id "
            "WHERE NOT si.is_gold GROUP BY so.item_id, so.id, so.method_config_id"
        )
    ]


def check_study(
    report: ParsedReport, db: Database, run_id: int, labels: dict[int, tuple[str, str]]
) -> None:
    study_id, name, overlap = db.rows("SELECT id, name, overlap FROM study")[0]
    title = f"Human study {study_id}: {name}"
    report.check_line(title)
    report.check_line("-" * len(title))
    items = db.one("SELECT COUNT(*) FROM study_item WHERE NOT is_gold")
    gold = db.one("SELECT COUNT(*) FROM study_item WHERE is_gold")
    annotators = db.one("SELECT COUNT(*) FROM annotator")
    judgments = db.one(f"SELECT COUNT(*) FROM judgment j {COUNTED} AND j.acceptable IS NOT NULL")
    cant_judge = db.one(f"SELECT COUNT(*) FROM judgment j {COUNTED} AND j.acceptable IS NULL")
    not_counted = db.one("SELECT COUNT(*) FROM judgment") - judgments - cant_judge
    assert judgments and cant_judge and not_counted, "the fixture has every kind of answer"
    first = next(
        c for c, (label, m) in labels.items() if m == "handsoff" and label.endswith(" w=1")
    )
    second = next(c for c, (_, method) in labels.items() if method == "instruct-pix2pix")
    names = {first: labels[first][0], second: labels[second][0]}
    report.check_line(
        f"Study {study_id} on run {run_id}: {names[first]} vs {names[second]}; {items} items "
        f"and {gold} gold items, {overlap} annotators per item, {annotators} annotators, "
        f"{judgments} counted judgments (gold items included), {cant_judge} can't judge."
    )
    report.check_line(
        f"{not_counted} stored answers are not counted: items not submitted (or reopened and "
        "not resubmitted) and answers of revoked annotators."
    )
    options = option_counts(db)

    def majority(n: int, acceptable: int) -> int | None:
        return None if n == 0 or 2 * acceptable == n else int(2 * acceptable > n)

    table = report.table("Acceptable edits per method (95% Wilson intervals)")
    report.check_table_structure(table)
    expected = []
    for config_id in (first, second):
        rows = [o for o in options if o[2] == config_id]
        n = sum(o[3] for o in rows)
        acceptable = sum(o[4] for o in rows)
        cant = sum(o[5] for o in rows)
        votes = [v for v in (majority(o[3], o[4]) for o in rows) if v is not None]
        expected.append(
            [
                names[config_id],
                str(n),
                str(acceptable),
                percent(acceptable / n),
                wilson(acceptable, n),
                str(cant),
                str(len(votes)),
                str(sum(votes)),
                percent(sum(votes) / len(votes)),
                wilson(sum(votes), len(votes)),
            ]
        )
    assert table.rows == expected
    report.checked.update(table.row_lines)
    report.check_line(
        f"[figure: Study {study_id}: acceptable edits per method (Wilson intervals) "
        "(written with --out)]"
    )

    # McNemar on per-item majority votes.
    item_votes: dict[int, dict[int | None, int | None]] = {}
    for item, _, option_config, n, acceptable, _ in options:
        item_votes.setdefault(item, {})[option_config] = majority(n, acceptable)
    paired = [
        (v[first], v[second]) for v in item_votes.values() if None not in (v[first], v[second])
    ]
    cells = Counter(paired)
    a, b, c, d = cells[(1, 1)], cells[(1, 0)], cells[(0, 1)], cells[(0, 0)]
    mcnemar = report.table("Items by majority vote")
    report.check_table_structure(mcnemar)
    assert mcnemar.rows == [
        [f"{names[first]} acceptable", str(a), str(b)],
        [f"{names[first]} not acceptable", str(c), str(d)],
    ]
    report.checked.update(mcnemar.row_lines)
    assert b + c < 25, "the fixture is small: the exact test applies"
    p = stats.binomtest(b, b + c, 0.5).pvalue if b + c else 1.0
    p_text = f"{p:.4f}" if p >= 0.001 else f"{p:.1e}"
    left_out = len(item_votes) - len(paired)
    report.check_line(
        f"McNemar's test on {len(paired)} items (exact binomial test; {b + c} discordant): "
        f"{names[first]} only {b}, {names[second]} only {c}, p = {p_text}."
        + (f" {left_out} items left out (tie or no judgments)." if left_out else "")
    )

    check_preferences(report, db, names)
    check_agreement(report, options)
    check_annotators(report, db)


def check_preferences(report: ParsedReport, db: Database, names: dict[int, str]) -> None:
    chosen = dict(
        db.rows(
            "SELECT so.method_config_id, COUNT(*) FROM assignment a "
            "JOIN study_item si ON si.id = a.item_id "
            "JOIN study_option so ON so.id = a.preferred_option_id "
            f"{COUNTED_ASSIGNMENT} AND NOT si.is_gold GROUP BY so.method_config_id"
        )
    )
    kinds = dict(
        db.rows(
            "SELECT a.preference_kind, COUNT(*) FROM assignment a "
            f"JOIN study_item si ON si.id = a.item_id {COUNTED_ASSIGNMENT} AND NOT si.is_gold "
            "AND a.preferred_option_id IS NULL AND a.preference_kind IS NOT NULL "
            "GROUP BY a.preference_kind"
        )
    )
    completed = db.one(
        "SELECT COUNT(*) FROM assignment a JOIN study_item si ON si.id = a.item_id "
        f"{COUNTED_ASSIGNMENT} AND NOT si.is_gold"
    )
    answers = [(name, int(chosen.get(config_id, 0))) for config_id, name in names.items()]
    answers += [("tie", int(kinds.get("tie", 0))), ("both bad", int(kinds.get("both_bad", 0)))]
    answers.append(("no answer", completed - sum(n for _, n in answers)))
    table = report.table("Which edit is better?")
    report.check_table_structure(table)
    assert table.rows == [[a, str(n), percent(n / completed)] for a, n in answers]
    report.checked.update(table.row_lines)


def check_agreement(
    report: ParsedReport, options: list[tuple[int, int, int | None, int, int, int]]
) -> None:
    """Coefficients from statsmodels and krippendorff on SQL counts; intervals against
    scipy's percentile bootstrap over the same units."""
    counts = np.array([[n - acceptable, acceptable] for *_, n, acceptable, _ in options])
    ratings = counts.sum(axis=1)
    frequency = Counter(int(r) for r in ratings if r >= 2)
    raters = max(frequency, key=lambda k: (frequency[k], k))
    kept = counts[ratings == raters]
    pairable = counts[ratings >= 2]

    def kappa(rows: np.ndarray) -> float:
        return float(fleiss_kappa(rows, method="fleiss"))

    def alpha(rows: np.ndarray) -> float:
        return float(
            krippendorff.alpha(value_counts=rows.astype(float), level_of_measurement="nominal")
        )

    title = "Agreement on acceptability (non-gold edits, 95% bootstrap intervals over edits)"
    table = report.table(title)
    report.check_table_structure(table)
    expected = [("Fleiss' kappa", kappa, kept, str(raters)), (ALPHA_NAME, alpha, pairable, "n/a")]
    for row, (name, statistic, units, per_unit) in zip(table.rows, expected, strict=True):
        assert row[0] == name
        assert_value(row[1], statistic(units))
        reference = stats.bootstrap(
            (np.arange(len(units)),),
            lambda rows, units=units, statistic=statistic: statistic(units[rows]),
            n_resamples=1000,
            method="percentile",
            vectorized=False,
            rng=np.random.default_rng(99),
        ).confidence_interval
        low, high = (float(x) for x in row[2].strip("[]").split(", "))
        width = reference.high - reference.low
        assert low == pytest.approx(reference.low, abs=0.25 * width), (row, reference)
        assert high == pytest.approx(reference.high, abs=0.25 * width), (row, reference)
        assert row[3:] == [str(len(units)), str(len(counts) - len(units)), per_unit]
    report.checked.update(table.row_lines)
    report.check_line(
        f"note: CI: percentile bootstrap, {DEFAULT_RESAMPLES} resamples of the units (seed 0)."
    )


ALPHA_NAME = "Krippendorff's alpha (nominal)"


def check_annotators(report: ParsedReport, db: Database) -> None:
    """Each annotator's own submitted work, revoked ones too (marked)."""
    table = report.table("Annotators: gold accuracy and time per item")
    report.check_table_structure(table)
    expected = []
    for annotator_id, name, revoked_at in db.rows(
        "SELECT id, name, revoked_at FROM annotator ORDER BY name"
    ):
        assigned, completed = db.rows(
            "SELECT COUNT(*), COUNT(completed_at) FROM assignment WHERE annotator_id = :a",
            a=annotator_id,
        )[0]
        judged, cant, gold, correct = db.rows(
            "SELECT SUM(CASE WHEN j.acceptable IS NOT NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN j.acceptable IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN so.expected_acceptable IS NOT NULL AND j.acceptable IS NOT NULL "
            "THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN so.expected_acceptable IS NOT NULL "
            "AND j.acceptable = so.expected_acceptable THEN 1 ELSE 0 END) "
            "FROM judgment j JOIN study_option so ON so.id = j.option_id "
            "JOIN assignment a ON a.annotator_id = j.annotator_id AND a.item_id = j.item_id "
            "WHERE j.annotator_id = :a AND a.completed_at IS NOT NULL",
            a=annotator_id,
        )[0]
        seconds = [
            float(r[0])
            for r in db.rows(
                "SELECT seconds_spent FROM assignment WHERE annotator_id = :a "
                "AND seconds_spent IS NOT NULL",
                a=annotator_id,
            )
        ]
        expected.append(
            [
                name + (" (revoked)" if revoked_at is not None else ""),
                str(assigned),
                str(completed),
                str(judged or 0),
                str(cant or 0),
                str(gold or 0),
                str(correct or 0),
                percent(correct / gold) if gold else "n/a",
                f"{statistics.median(seconds):.1f}" if seconds else "n/a",
            ]
        )
    assert table.rows == expected
    assert any(row[0].endswith("(revoked)") for row in table.rows)
    report.checked.update(table.row_lines)
