"""The report views (created by migration 0002, the study views redefined by 0003;
documented in docs/sql.md) as SQLAlchemy selectables for report queries.

They are lightweight `table()` constructs, not ORM tables: they stay out of
`Base.metadata`, so Alembic's autogenerate never tries to create or drop them, and the
migration remains the one place that defines them.
"""

from __future__ import annotations

from sqlalchemy import column, table
from sqlalchemy.sql.expression import TableClause


def _view(name: str, *columns: str) -> TableClause:
    return table(name, *(column(c) for c in columns))


run_samples = _view(
    "v_run_samples",
    "run_id",
    "sample_id",
    "sample_external_id",
    "session_id",
    "turn_index",
    "sample_rank",
)

run_edits = _view(
    "v_run_edits",
    "run_id",
    "edit_id",
    "sample_id",
    "sample_external_id",
    "method_config_id",
    "method",
    "config_hash",
    "seed",
    "setting",
    "edit_status",
    "edit_error",
    "produced_by_run",
)

edit_metrics = _view(
    "v_edit_metrics",
    "run_id",
    "edit_id",
    "sample_id",
    "sample_external_id",
    "method_config_id",
    "method",
    "config_hash",
    "seed",
    "setting",
    "metric",
    "metric_version",
    "caption_kind",
    "value",
    "not_applicable",
)

run_method_status = _view(
    "v_run_method_status",
    "run_id",
    "method_config_id",
    "method",
    "config_hash",
    "n_edits",
    "n_done",
    "n_failed",
)

metric_summary = _view(
    "v_metric_summary",
    "run_id",
    "method_config_id",
    "method",
    "config_hash",
    "metric",
    "metric_version",
    "caption_kind",
    "n_values",
    "n_not_applicable",
    "mean_value",
    "min_value",
    "max_value",
)

judgments = _view(
    "v_judgments",
    "study_id",
    "study_name",
    "run_id",
    "judgment_id",
    "item_id",
    "sample_id",
    "is_gold",
    "annotator_id",
    "annotator_name",
    "option_id",
    "option_position",
    "shown_as",
    "edit_id",
    "method_config_id",
    "method",
    "config_hash",
    "gold_role",
    "expected_acceptable",
    "verdict",
    "acceptable",
    "reason",
    "gold_correct",
    "counted",
    "submitted_at",
    "seconds_spent",
    "created_at",
    "updated_at",
)

item_acceptability = _view(
    "v_item_acceptability",
    "study_id",
    "item_id",
    "sample_id",
    "is_gold",
    "option_id",
    "option_position",
    "edit_id",
    "method_config_id",
    "method",
    "gold_role",
    "expected_acceptable",
    "n_judgments",
    "n_acceptable",
    "n_cant_judge",
    "acceptable_share",
    "majority_acceptable",
)

method_acceptability = _view(
    "v_method_acceptability",
    "study_id",
    "method_config_id",
    "method",
    "n_judgments",
    "n_acceptable",
    "n_cant_judge",
    "acceptability_rate",
    "n_items",
    "n_items_majority_acceptable",
    "n_items_majority_unacceptable",
    "n_items_without_majority",
)

preferences = _view(
    "v_preferences",
    "study_id",
    "item_id",
    "sample_id",
    "is_gold",
    "annotator_id",
    "annotator_name",
    "preferred_option_id",
    "preferred_method_config_id",
    "preferred_method",
    "preferred_gold_role",
    "preference_kind",
    "preference",
    "completed_at",
)

annotator_quality = _view(
    "v_annotator_quality",
    "study_id",
    "annotator_id",
    "annotator_name",
    "revoked_at",
    "n_assigned",
    "n_completed",
    "n_judgments",
    "n_cant_judge",
    "n_gold_judgments",
    "n_gold_correct",
    "gold_accuracy",
    "n_timed",
    "median_seconds_per_item",
    "mean_seconds_per_item",
    "total_seconds",
)

REPORT_VIEWS: tuple[TableClause, ...] = (
    run_samples,
    run_edits,
    edit_metrics,
    run_method_status,
    metric_summary,
    judgments,
    item_acceptability,
    method_acceptability,
    preferences,
    annotator_quality,
)
VIEW_NAMES: tuple[str, ...] = tuple(view.name for view in REPORT_VIEWS)
