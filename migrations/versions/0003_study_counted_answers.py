"""Study: can't-judge verdicts (`judgment.acceptable` NULL, with an optional reason), an
append-only answer history, guidelines, closing, a server-side blinding secret, and study
views that count answers one way.

A counted answer (the one definition the views, the report, the admin page and the exports
share; `COUNTED` below is its only statement, and db/queries/study_counted.py reads it from
`v_judgments.counted` and the views rather than restating it): a verdict on an item the
annotator has submitted, by an annotator who is not revoked. Revoking an annotator withdraws
all of their answers from the counts, earlier submitted ones included (they stay stored, and
`v_judgments` still lists them with `counted = 0`). "Can't judge" is never counted as
unacceptable: it is reported separately (`n_cant_judge`) and left out of the shares.

SQLite cannot batch-ALTER a table a view reads, so the study views are dropped first and
created again (in their new form) afterwards; downgrade restores 0002's views. Downgrade
deletes can't-judge answers: the old schema cannot hold them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:50:00
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STUDY_VIEWS = (
    "v_judgments",
    "v_item_acceptability",
    "v_method_acceptability",
    "v_preferences",
    "v_annotator_quality",
)

# Whether a judgment row (alias j, its assignment asg, its annotator a) is counted.
COUNTED = "(asg.completed_at IS NOT NULL AND a.revoked_at IS NULL)"

JUDGMENTS = f"""
CREATE VIEW v_judgments AS
SELECT st.id AS study_id,
       st.name AS study_name,
       st.run_id,
       j.id AS judgment_id,
       j.item_id,
       si.sample_id,
       si.is_gold,
       j.annotator_id,
       a.name AS annotator_name,
       j.option_id,
       so.position AS option_position,
       CASE WHEN (so.position = 1) = asg.swap_sides THEN 'A' ELSE 'B' END AS shown_as,
       so.edit_id,
       so.method_config_id,
       mc.method,
       mc.config_hash,
       so.gold_role,
       so.expected_acceptable,
       CASE WHEN j.acceptable IS NULL THEN 'cant_judge'
            WHEN j.acceptable THEN 'acceptable' ELSE 'not_acceptable' END AS verdict,
       j.acceptable,
       j.reason,
       CASE WHEN so.expected_acceptable IS NULL OR j.acceptable IS NULL THEN NULL
            WHEN j.acceptable = so.expected_acceptable THEN 1 ELSE 0 END AS gold_correct,
       CASE WHEN {COUNTED} THEN 1 ELSE 0 END AS counted,
       asg.completed_at AS submitted_at,
       asg.seconds_spent,
       j.created_at,
       j.updated_at
FROM judgment j
JOIN study_item si ON si.id = j.item_id
JOIN study st ON st.id = si.study_id
JOIN annotator a ON a.id = j.annotator_id
JOIN study_option so ON so.id = j.option_id
LEFT JOIN method_config mc ON mc.id = so.method_config_id
LEFT JOIN assignment asg ON asg.annotator_id = j.annotator_id AND asg.item_id = j.item_id
"""

# Per item and option: counted verdicts (acceptable or not; can't-judge apart) and the
# item's majority vote (1/0; NULL on a tie or without verdicts). Counted per option first,
# then joined (grouping the joined wide rows made PostgreSQL sort on disk).
ITEM_ACCEPTABILITY = f"""
CREATE VIEW v_item_acceptability AS
SELECT si.study_id,
       so.item_id,
       si.sample_id,
       si.is_gold,
       so.id AS option_id,
       so.position AS option_position,
       so.edit_id,
       so.method_config_id,
       mc.method,
       so.gold_role,
       so.expected_acceptable,
       COALESCE(counted.n_judgments, 0) AS n_judgments,
       COALESCE(counted.n_acceptable, 0) AS n_acceptable,
       COALESCE(counted.n_cant_judge, 0) AS n_cant_judge,
       CASE WHEN counted.n_judgments > 0
            THEN CAST(counted.n_acceptable AS DOUBLE PRECISION) / counted.n_judgments
            END AS acceptable_share,
       CASE WHEN 2 * counted.n_acceptable > counted.n_judgments THEN 1
            WHEN 2 * counted.n_acceptable < counted.n_judgments THEN 0
            END AS majority_acceptable
FROM study_option so
JOIN study_item si ON si.id = so.item_id
LEFT JOIN method_config mc ON mc.id = so.method_config_id
LEFT JOIN (
    SELECT j.option_id,
           SUM(CASE WHEN j.acceptable IS NOT NULL THEN 1 ELSE 0 END) AS n_judgments,
           SUM(CASE WHEN j.acceptable THEN 1 ELSE 0 END) AS n_acceptable,
           SUM(CASE WHEN j.acceptable IS NULL THEN 1 ELSE 0 END) AS n_cant_judge
    FROM judgment j
    JOIN assignment asg ON asg.annotator_id = j.annotator_id AND asg.item_id = j.item_id
    JOIN annotator a ON a.id = j.annotator_id
    WHERE {COUNTED}
    GROUP BY j.option_id
) counted ON counted.option_id = so.id
"""

METHOD_ACCEPTABILITY = """
CREATE VIEW v_method_acceptability AS
SELECT study_id,
       method_config_id,
       method,
       CAST(SUM(n_judgments) AS BIGINT) AS n_judgments,
       CAST(SUM(n_acceptable) AS BIGINT) AS n_acceptable,
       CAST(SUM(n_cant_judge) AS BIGINT) AS n_cant_judge,
       CASE WHEN SUM(n_judgments) = 0 THEN NULL
            ELSE CAST(SUM(n_acceptable) AS DOUBLE PRECISION) / SUM(n_judgments)
            END AS acceptability_rate,
       COUNT(*) AS n_items,
       SUM(CASE WHEN majority_acceptable = 1 THEN 1 ELSE 0 END) AS n_items_majority_acceptable,
       SUM(CASE WHEN majority_acceptable = 0 THEN 1 ELSE 0 END) AS n_items_majority_unacceptable,
       SUM(CASE WHEN majority_acceptable IS NULL THEN 1 ELSE 0 END) AS n_items_without_majority
FROM v_item_acceptability
WHERE method_config_id IS NOT NULL
GROUP BY study_id, method_config_id, method
"""

# Preferences of counted items only (submitted, annotator not revoked).
PREFERENCES = f"""
CREATE VIEW v_preferences AS
SELECT si.study_id,
       asg.item_id,
       si.sample_id,
       si.is_gold,
       asg.annotator_id,
       a.name AS annotator_name,
       asg.preferred_option_id,
       so.method_config_id AS preferred_method_config_id,
       mc.method AS preferred_method,
       so.gold_role AS preferred_gold_role,
       asg.preference_kind,
       CASE WHEN asg.preferred_option_id IS NOT NULL
            THEN COALESCE(mc.method, so.gold_role)
            ELSE asg.preference_kind END AS preference,
       asg.completed_at
FROM assignment asg
JOIN study_item si ON si.id = asg.item_id
JOIN annotator a ON a.id = asg.annotator_id
LEFT JOIN study_option so ON so.id = asg.preferred_option_id
LEFT JOIN method_config mc ON mc.id = so.method_config_id
WHERE (asg.preferred_option_id IS NOT NULL OR asg.preference_kind IS NOT NULL)
  AND {COUNTED}
"""

# Per annotator (revoked ones too, with revoked_at: the admin needs to see them): work
# done and time per item; gold accuracy over their submitted gold verdicts (can't-judge
# apart). These describe each annotator's own submitted work, so they ignore revocation;
# a revoked annotator's answers still enter no result of the other views.
ANNOTATOR_QUALITY = """
CREATE VIEW v_annotator_quality AS
WITH {medians}
work AS (
    SELECT annotator_id,
           COUNT(*) AS n_assigned,
           COUNT(completed_at) AS n_completed,
           COUNT(seconds_spent) AS n_timed,
           AVG(seconds_spent) AS mean_seconds,
           SUM(seconds_spent) AS total_seconds
    FROM assignment
    GROUP BY annotator_id
),
answers AS (
    SELECT j.annotator_id,
           SUM(CASE WHEN j.acceptable IS NOT NULL THEN 1 ELSE 0 END) AS n_judgments,
           SUM(CASE WHEN j.acceptable IS NULL THEN 1 ELSE 0 END) AS n_cant_judge,
           SUM(CASE WHEN so.expected_acceptable IS NOT NULL AND j.acceptable IS NOT NULL
                    THEN 1 ELSE 0 END) AS n_gold_judgments,
           SUM(CASE WHEN so.expected_acceptable IS NOT NULL
                     AND j.acceptable = so.expected_acceptable THEN 1 ELSE 0 END)
               AS n_gold_correct
    FROM judgment j
    JOIN study_option so ON so.id = j.option_id
    JOIN assignment asg ON asg.annotator_id = j.annotator_id AND asg.item_id = j.item_id
    WHERE asg.completed_at IS NOT NULL
    GROUP BY j.annotator_id
)
SELECT a.study_id,
       a.id AS annotator_id,
       a.name AS annotator_name,
       a.revoked_at,
       COALESCE(w.n_assigned, 0) AS n_assigned,
       COALESCE(w.n_completed, 0) AS n_completed,
       COALESCE(ans.n_judgments, 0) AS n_judgments,
       COALESCE(ans.n_cant_judge, 0) AS n_cant_judge,
       COALESCE(ans.n_gold_judgments, 0) AS n_gold_judgments,
       COALESCE(ans.n_gold_correct, 0) AS n_gold_correct,
       CASE WHEN ans.n_gold_judgments > 0
            THEN CAST(ans.n_gold_correct AS DOUBLE PRECISION) / ans.n_gold_judgments
            END AS gold_accuracy,
       COALESCE(w.n_timed, 0) AS n_timed,
       m.median_seconds AS median_seconds_per_item,
       w.mean_seconds AS mean_seconds_per_item,
       w.total_seconds
FROM annotator a
LEFT JOIN work w ON w.annotator_id = a.id
LEFT JOIN answers ans ON ans.annotator_id = a.id
LEFT JOIN medians m ON m.annotator_id = a.id
"""

NEW_VIEWS = [
    ("v_judgments", JUDGMENTS),
    ("v_item_acceptability", ITEM_ACCEPTABILITY),
    ("v_method_acceptability", METHOD_ACCEPTABILITY),
    ("v_preferences", PREFERENCES),
    ("v_annotator_quality", ANNOTATOR_QUALITY),
]


def _previous() -> object:
    # 0002's frozen view definitions, for the downgrade and its dialect-specific median.
    return importlib.import_module("migrations.versions.0002_report_views")


def _drop_study_views() -> None:
    for name in reversed(STUDY_VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _create(views: Sequence[tuple[str, str]]) -> None:
    medians = _previous().MEDIAN_SECONDS[op.get_bind().dialect.name]  # type: ignore[attr-defined]
    for name, create_sql in views:
        if name == "v_annotator_quality":
            create_sql = create_sql.format(medians=medians)
        op.execute(create_sql)


def upgrade() -> None:
    _drop_study_views()
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guidelines", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("blinding_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.alter_column("acceptable", existing_type=sa.Boolean(), nullable=True)
    op.create_table(
        "judgment_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotator.id"],
            name=op.f("fk_judgment_event_annotator_id_annotator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_item.id"],
            name=op.f("fk_judgment_event_item_id_study_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["study_option.id"],
            name=op.f("fk_judgment_event_option_id_study_option"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgment_event")),
    )
    with op.batch_alter_table("judgment_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_judgment_event_annotator_item", ["annotator_id", "item_id"], unique=False
        )
    _create(NEW_VIEWS)


def downgrade() -> None:
    _drop_study_views()
    with op.batch_alter_table("judgment_event", schema=None) as batch_op:
        batch_op.drop_index("ix_judgment_event_annotator_item")
    op.drop_table("judgment_event")
    op.execute("DELETE FROM judgment WHERE acceptable IS NULL")
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.alter_column("acceptable", existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column("reason")
    with op.batch_alter_table("study", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
        batch_op.drop_column("blinding_secret")
        batch_op.drop_column("guidelines")
    previous = dict(_previous().VIEWS)  # type: ignore[attr-defined]
    _create([(name, previous[name]) for name in STUDY_VIEWS])
