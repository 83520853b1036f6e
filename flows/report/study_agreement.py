"""The report's agreement table: `agreement_summary` over `agreement_table`, the same call
the admin page makes, so both show the same coefficients on the same units."""

from __future__ import annotations

from sqlalchemy.orm import Session

from db.queries.study_counted import agreement_table
from flows.report import formatting as fmt
from flows.report.model import Report, Table
from flows.report.options import ReportOptions
from handsoff_core.statistics import AgreementSummary, Coefficient, agreement_summary


def study_agreement(*, session: Session, study_id: int, options: ReportOptions) -> AgreementSummary:
    """Agreement on acceptability of the study's regular edits, counted verdicts only."""
    return agreement_summary(
        agreement_table(session=session, study_id=study_id),
        n_boot=options.resamples,
        seed=options.seed,
        confidence=options.confidence,
    )


def agreement_block(
    *, session: Session, study_id: int, options: ReportOptions, report: Report
) -> Table:
    summary = study_agreement(session=session, study_id=study_id, options=options)
    total = summary.units + summary.units_left_out
    table = Table(
        f"agreement_study{study_id}",
        f"Agreement on acceptability (non-gold edits, {options.confidence:.0%} bootstrap "
        "intervals over edits)",
        ["statistic", "value", "CI", "units", "units left out", "ratings per unit"],
    )
    for coefficient in (summary.fleiss, summary.alpha):
        if coefficient.value is None:
            report.missing.append(
                f"study {study_id}: {coefficient.statistic} not available: {coefficient.reason}"
            )
        per_unit = coefficient.ratings_per_unit
        table.add(
            [
                coefficient.statistic,
                fmt.value(coefficient.value),
                fmt.interval(coefficient.low, coefficient.high),
                str(len(coefficient.unit_ids)),
                str(total - len(coefficient.unit_ids)),
                fmt.NOT_AVAILABLE if per_unit is None else str(per_unit),
            ],
            _record(coefficient, total),
        )
    table.notes.append(
        "unit: one method's edit on one item, with its counted verdicts (submitted items of "
        "annotators not revoked; can't judge left out). Units rated by fewer than two "
        "annotators are left out of both; Fleiss' kappa (statsmodels) needs the same number of "
        "ratings per unit and uses the units rated by the most common number, Krippendorff's "
        "alpha every unit with two or more."
    )
    undefined = max(summary.fleiss.undefined_resamples, summary.alpha.undefined_resamples)
    table.notes.append(
        f"CI: percentile bootstrap, {summary.n_boot} resamples of the units (seed "
        f"{summary.seed})"
        + (
            f"; resamples with every verdict alike have no coefficient and are left out "
            f"(up to {undefined})."
            if undefined
            else "."
        )
    )
    return table


def _record(coefficient: Coefficient, total: int) -> dict[str, object]:
    return {
        "statistic": coefficient.statistic,
        "value": coefficient.value,
        "ci_low": coefficient.low,
        "ci_high": coefficient.high,
        "units": len(coefficient.unit_ids),
        "units_left_out": total - len(coefficient.unit_ids),
        "ratings_per_unit": coefficient.ratings_per_unit,
        "unit_ids": list(coefficient.unit_ids),
        "resamples": coefficient.resamples,
        "undefined_resamples": coefficient.undefined_resamples,
        "reason": coefficient.reason,
    }
