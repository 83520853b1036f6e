"""The human-study half of a report (METHOD.md s5): acceptability per method with Wilson
intervals, McNemar's test on per-item majority votes, preferences, agreement (Fleiss' kappa,
Krippendorff's alpha with bootstrap intervals: flows/report/study_agreement.py) and each
annotator's gold accuracy and time per item.

Every number counts answers as the study views do: verdicts on submitted items of
annotators not revoked (db/queries/study_counted.py); can't judge is reported apart, never
as unacceptable."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from db.queries.reports_study import (
    StudyHeader,
    annotator_quality,
    completed_regular_assignments,
    get_study_header,
    item_acceptability_frame,
    judgment_frame,
    preference_counts,
)
from flows.report import formatting as fmt
from flows.report.model import RateFigure, Report, Section, Table
from flows.report.options import ReportOptions
from flows.report.study_agreement import agreement_block
from handsoff_core.statistics import InsufficientData, mcnemar_test, wilson_interval


def add_study_section(
    *,
    session: Session,
    study_id: int,
    labels: dict[int, str],
    options: ReportOptions,
    report: Report,
) -> StudyHeader:
    header = get_study_header(session=session, study_id=study_id)
    section = Section(f"Human study {header.id}: {header.name}")
    report.sections.append(section)
    names = {
        c: labels.get(c, header.methods.get(c, f"config {c}")) for c in header.method_config_ids
    }
    compared = " vs ".join(names.values()) or "no methods"
    section.say(
        f"Study {header.id} on run {header.run_id}: {compared}; {header.items} items and "
        f"{header.gold_items} gold items, {header.overlap} annotators per item, "
        f"{header.annotators} annotators, {header.judgments} counted judgments (gold items "
        f"included), {header.cant_judge} can't judge."
    )
    if header.not_counted:
        section.say(
            f"{header.not_counted} stored answers are not counted: items not submitted (or "
            "reopened and not resubmitted) and answers of revoked annotators."
        )
    if options.include_rows:
        report.frames[f"judgments_study{study_id}"] = judgment_frame(
            session=session, study_id=study_id
        )
    items = item_acceptability_frame(session=session, study_id=study_id)
    if options.include_rows:
        report.frames[f"item_acceptability_study{study_id}"] = items
    regular = items[~items["is_gold"] & items["method_config_id"].notna()]
    if header.judgments == 0:
        report.missing.append(
            f"study {header.id}: no judgments yet, so no acceptability, test or agreement"
        )
        section.say(
            "No counted judgments yet: acceptability, McNemar's test and agreement need "
            "answers on submitted items."
        )
    else:
        acceptability = _acceptability(regular, header, names, options)
        section.blocks.append(acceptability)
        figure = _acceptability_figure(acceptability, header)
        if figure is not None:
            section.blocks.append(figure)
        _mcnemar(section, regular, header, names, report)
        section.blocks.append(_preferences(session, header, names))
        section.blocks.append(
            agreement_block(session=session, study_id=header.id, options=options, report=report)
        )
    section.blocks.append(_annotators(session, header))
    return header


def _acceptability(
    regular: pd.DataFrame, header: StudyHeader, names: dict[int, str], options: ReportOptions
) -> Table:
    level = f"{options.confidence:.0%}"
    table = Table(
        f"acceptability_study{header.id}",
        f"Acceptable edits per method ({level} Wilson intervals)",
        [
            "method",
            "judgments",
            "acceptable",
            "rate",
            "CI",
            "can't judge",
            "items",
            "majority acceptable",
            "item rate",
            "item CI",
        ],
    )
    for config_id, name in names.items():
        rows = regular[regular["method_config_id"] == config_id]
        judgments = int(rows["n_judgments"].sum())
        acceptable = int(rows["n_acceptable"].sum())
        cant_judge = int(rows["n_cant_judge"].sum())
        votes = rows["majority_acceptable"].dropna().astype(int)
        per_judgment = _wilson(acceptable, judgments, options.confidence)
        per_item = _wilson(int(votes.sum()), len(votes), options.confidence)
        table.add(
            [
                name,
                str(judgments),
                str(acceptable),
                fmt.percent(per_judgment[0]),
                fmt.percent_interval(per_judgment[1], per_judgment[2]),
                str(cant_judge),
                str(len(votes)),
                str(int(votes.sum())),
                fmt.percent(per_item[0]),
                fmt.percent_interval(per_item[1], per_item[2]),
            ],
            {
                "method_config_id": config_id,
                "method": name,
                "judgments": judgments,
                "acceptable": acceptable,
                "rate": per_judgment[0],
                "ci_low": per_judgment[1],
                "ci_high": per_judgment[2],
                "cant_judge": cant_judge,
                "items_with_majority": len(votes),
                "items_majority_acceptable": int(votes.sum()),
                "item_rate": per_item[0],
                "item_ci_low": per_item[1],
                "item_ci_high": per_item[2],
            },
        )
    table.notes.append(
        "rate: acceptable judgments / judgments (as in the paper), counted verdicts only; "
        "can't judge is neither, and left out of both rates; item rate: items whose majority "
        "judged the edit acceptable / items with a majority (ties left out)."
    )
    return table


def _acceptability_figure(table: Table, header: StudyHeader) -> RateFigure | None:
    rows = [r for r in table.records if r["rate"] is not None]
    if not rows:
        return None
    return RateFigure(
        key=f"acceptability_study{header.id}",
        title=f"Study {header.id}: acceptable edits per method (Wilson intervals)",
        categories=[r["method"] for r in rows],
        rates=[r["rate"] for r in rows],
        low=[r["ci_low"] for r in rows],
        high=[r["ci_high"] for r in rows],
        ylabel="acceptable judgments",
    )


def _wilson(successes: int, trials: int, confidence: float) -> tuple[float | None, ...]:
    try:
        proportion = wilson_interval(successes, trials, confidence=confidence)
    except InsufficientData:
        return (None, None, None)
    return (proportion.rate, proportion.low, proportion.high)


def _mcnemar(
    section: Section,
    regular: pd.DataFrame,
    header: StudyHeader,
    names: dict[int, str],
    report: Report,
) -> None:
    if len(header.method_config_ids) != 2:
        section.say("McNemar's test needs exactly two compared methods.")
        return
    first, second = header.method_config_ids
    # One row per item, also for items without any vote (pivot_table would drop them).
    votes = regular.pivot(index="item_id", columns="method_config_id", values="majority_acceptable")
    if first not in votes.columns or second not in votes.columns:
        section.say("McNemar's test: the items lack an edit of one of the two methods.")
        return
    paired = votes[[first, second]].dropna().astype(int)
    left_out = len(votes) - len(paired)
    a = int(((paired[first] == 1) & (paired[second] == 1)).sum())
    b = int(((paired[first] == 1) & (paired[second] == 0)).sum())
    c = int(((paired[first] == 0) & (paired[second] == 1)).sum())
    d = int(((paired[first] == 0) & (paired[second] == 0)).sum())
    first_name, second_name = names[first], names[second]
    table = Table(
        f"mcnemar_study{header.id}",
        "Items by majority vote",
        ["majority vote", f"{second_name} acceptable", f"{second_name} not acceptable"],
    )
    table.add(
        [f"{first_name} acceptable", str(a), str(b)],
        {"first": first_name, "first_acceptable": True, "second_acceptable": a, "second_not": b},
    )
    table.add(
        [f"{first_name} not acceptable", str(c), str(d)],
        {"first": first_name, "first_acceptable": False, "second_acceptable": c, "second_not": d},
    )
    section.blocks.append(table)
    if len(paired) == 0:
        report.missing.append(f"study {header.id}: no item has a majority vote for both methods")
        section.say("McNemar's test: no item has a majority vote for both methods.")
        return
    result = mcnemar_test(both_acceptable=a, only_first=b, only_second=c, neither=d)
    kind = (
        "exact binomial test"
        if result.exact
        else "chi-square with continuity correction, statistic " + fmt.value(result.statistic)
    )
    section.say(
        f"McNemar's test on {result.items} items ({kind}; {result.discordant} discordant): "
        f"{first_name} only {b}, {second_name} only {c}, p = {fmt.p_value(result.p_value)}."
        + (f" {left_out} items left out (tie or no judgments)." if left_out else "")
    )


def _preferences(session: Session, header: StudyHeader, names: dict[int, str]) -> Table:
    counts = preference_counts(session=session, study_id=header.id)
    by_kind, by_config = counts.by_kind, counts.by_config
    completed = completed_regular_assignments(session=session, study_id=header.id)
    table = Table(
        f"preferences_study{header.id}",
        "Which edit is better? (non-gold items)",
        ["answer", "count", "share"],
    )
    answers = [(name, by_config.get(config_id, 0)) for config_id, name in names.items()]
    answers += [("tie", by_kind.get("tie", 0)), ("both bad", by_kind.get("both_bad", 0))]
    answered = sum(count for _, count in answers)
    answers.append(("no answer", max(completed - answered, 0)))
    for answer, count in answers:
        share = count / completed if completed else None
        table.add(
            [answer, str(count), fmt.percent(share)],
            {"answer": answer, "count": count, "share": share},
        )
    table.notes.append(
        "share: of counted assignments of non-gold items (submitted, annotator not revoked)."
    )
    return table


def _annotators(session: Session, header: StudyHeader) -> Table:
    table = Table(
        f"annotators_study{header.id}",
        "Annotators: gold accuracy and time per item",
        [
            "annotator",
            "assigned",
            "completed",
            "judgments",
            "can't judge",
            "gold judgments",
            "gold correct",
            "gold accuracy",
            "median s/item",
        ],
    )
    for quality in annotator_quality(session=session, study_id=header.id):
        name = quality.name + (" (revoked)" if quality.revoked else "")
        table.add(
            [
                name,
                str(quality.assigned),
                str(quality.completed),
                str(quality.judgments),
                str(quality.cant_judge),
                str(quality.gold_judgments),
                str(quality.gold_correct),
                fmt.percent(quality.gold_accuracy),
                fmt.seconds(quality.median_seconds),
            ],
            {
                "annotator_id": quality.annotator_id,
                "annotator": quality.name,
                "revoked": quality.revoked,
                "assigned": quality.assigned,
                "completed": quality.completed,
                "judgments": quality.judgments,
                "cant_judge": quality.cant_judge,
                "gold_judgments": quality.gold_judgments,
                "gold_correct": quality.gold_correct,
                "gold_accuracy": quality.gold_accuracy,
                "median_seconds": quality.median_seconds,
                "mean_seconds": quality.mean_seconds,
            },
        )
    if not table.rows:
        table.notes.append("No annotators yet: add them with `handsoff study add-annotator`.")
    elif any(quality["revoked"] for quality in table.records):
        table.notes.append(
            "Each annotator's own submitted work; a revoked annotator's answers enter no "
            "other number of this study."
        )
    return table
