"""Report views: samples and edits of a run, edit-level metrics, metric summaries,
unblinded judgments, acceptability per item and per method, preferences, annotator quality.

The SQL is portable (SQLite >= 3.25 for window functions, PostgreSQL >= 12) except where
`v_run_samples` reads the run's JSON selection and `v_annotator_quality` takes a median
(one branch per dialect each). It is frozen here,
as migrations must be; docs/sql.md documents every view with example queries and
`db/views.py` names their columns for Python callers. Views are not tables: Alembic's
autogenerate does not see them (tests/db/test_migrations.py stays clean).

SQLite caveat for later migrations: a batch ALTER of a table that a view reads (copy, drop,
rename) fails on SQLite while the view exists. Such a migration drops the views first and
creates them again afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 02:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The samples a run covers: its dataset's samples, filtered by `run.selection`
# ({"sample_ids": [external ids], "limit": N}), ordered by (session, turn, id); a multi-turn
# limit counts whole sessions. This is `db.queries.runs.run_samples` in SQL (a test keeps the
# two equal). Reading JSON differs per dialect; session ids sort by code point on both
# (COLLATE "C" on PostgreSQL, SQLite's binary default), as Python sorts them.
RUN_SAMPLES = """
CREATE VIEW v_run_samples AS
WITH chosen AS (
    SELECT r.id AS run_id,
           r.setting,
           s.id AS sample_id,
           s.external_id AS sample_external_id,
           s.session_id,
           s.turn_index,
           ROW_NUMBER() OVER (
               PARTITION BY r.id ORDER BY s.session_id {collate}, s.turn_index, s.id
           ) AS sample_rank,
           DENSE_RANK() OVER (PARTITION BY r.id ORDER BY s.session_id {collate}) AS session_rank,
           {limit} AS sample_limit
    FROM run r
    JOIN sample s ON s.dataset_id = r.dataset_id
    WHERE {no_sample_ids} OR {sample_id_listed}
)
SELECT run_id, sample_id, sample_external_id, session_id, turn_index, sample_rank
FROM chosen
WHERE sample_limit IS NULL
   OR (setting = 'multi-turn' AND session_rank <= sample_limit)
   OR (setting <> 'multi-turn' AND sample_rank <= sample_limit)
"""
RUN_SAMPLES_DIALECT = {
    "postgresql": {
        "collate": 'COLLATE "C"',
        "limit": "CAST(r.selection ->> 'limit' AS INTEGER)",
        "no_sample_ids": "(CASE WHEN jsonb_typeof(r.selection -> 'sample_ids') = 'array' "
        "THEN jsonb_array_length(r.selection -> 'sample_ids') ELSE 0 END) = 0",
        "sample_id_listed": "(r.selection -> 'sample_ids') ? s.external_id",
    },
    "sqlite": {
        "collate": "",
        "limit": "CAST(json_extract(r.selection, '$.limit') AS INTEGER)",
        "no_sample_ids": "COALESCE(json_array_length(r.selection, '$.sample_ids'), 0) = 0",
        "sample_id_listed": "EXISTS (SELECT 1 FROM json_each(r.selection, '$.sample_ids') "
        "AS listed WHERE listed.value = s.external_id)",
    },
}

# Every edit a run asked for: the run's method configs, seed and setting on its samples. An
# edit is unique per (sample, config, seed, setting) whatever run asks for it, so a later
# run reuses an earlier run's edit; `produced_by_run` tells the two apart.
RUN_EDITS = """
CREATE VIEW v_run_edits AS
SELECT r.id AS run_id,
       e.id AS edit_id,
       e.sample_id,
       rs.sample_external_id,
       e.method_config_id,
       mc.method,
       mc.config_hash,
       e.seed,
       e.setting,
       e.status AS edit_status,
       e.error AS edit_error,
       CASE WHEN e.run_id = r.id THEN 1 ELSE 0 END AS produced_by_run
FROM run r
JOIN v_run_samples rs ON rs.run_id = r.id
JOIN run_method_config rmc ON rmc.run_id = r.id
JOIN edit e ON e.sample_id = rs.sample_id
           AND e.method_config_id = rmc.method_config_id
           AND e.seed = r.seed
           AND e.setting = r.setting
JOIN method_config mc ON mc.id = e.method_config_id
"""

# One row per metric value of an edit of a run.
EDIT_METRICS = """
CREATE VIEW v_edit_metrics AS
SELECT re.run_id,
       re.edit_id,
       re.sample_id,
       re.sample_external_id,
       re.method_config_id,
       re.method,
       re.config_hash,
       re.seed,
       re.setting,
       mv.metric,
       mv.metric_version,
       mv.caption_kind,
       mv.value,
       mv.not_applicable
FROM v_run_edits re
JOIN metric_value mv ON mv.edit_id = re.edit_id
"""

# Edits per method config of a run, by outcome; configs without any edit appear with zeros.
RUN_METHOD_STATUS = """
CREATE VIEW v_run_method_status AS
SELECT rmc.run_id,
       rmc.method_config_id,
       mc.method,
       mc.config_hash,
       COUNT(re.edit_id) AS n_edits,
       COALESCE(SUM(CASE WHEN re.edit_status = 'done' THEN 1 ELSE 0 END), 0) AS n_done,
       COALESCE(SUM(CASE WHEN re.edit_status = 'failed' THEN 1 ELSE 0 END), 0) AS n_failed
FROM run_method_config rmc
JOIN method_config mc ON mc.id = rmc.method_config_id
LEFT JOIN v_run_edits re ON re.run_id = rmc.run_id
                        AND re.method_config_id = rmc.method_config_id
GROUP BY rmc.run_id, rmc.method_config_id, mc.method, mc.config_hash
"""

# Per run, method config and metric: how many values, how many not applicable, the mean.
METRIC_SUMMARY = """
CREATE VIEW v_metric_summary AS
SELECT run_id,
       method_config_id,
       method,
       config_hash,
       metric,
       metric_version,
       caption_kind,
       COUNT(value) AS n_values,
       COUNT(not_applicable) AS n_not_applicable,
       AVG(value) AS mean_value,
       MIN(value) AS min_value,
       MAX(value) AS max_value
FROM v_edit_metrics
GROUP BY run_id, method_config_id, method, config_hash, metric, metric_version, caption_kind
"""

# Judgments with everything the annotator was not shown: method, edit, gold role, side.
# Assignment.swap_sides is True when option 1 is shown as "A".
JUDGMENTS = """
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
       j.acceptable,
       CASE WHEN so.expected_acceptable IS NULL THEN NULL
            WHEN j.acceptable = so.expected_acceptable THEN 1 ELSE 0 END AS gold_correct,
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

# Per item and option (one method's edit, or a gold image): judgments, acceptable ones and
# the item's majority vote (1/0; NULL on a tie or without judgments). Judgments are counted
# per option first (a hash aggregate of small rows), then joined: grouping the joined wide
# rows instead made PostgreSQL sort 10^5 rows on disk.
ITEM_ACCEPTABILITY = """
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
    SELECT option_id,
           COUNT(*) AS n_judgments,
           SUM(CASE WHEN acceptable THEN 1 ELSE 0 END) AS n_acceptable
    FROM judgment
    GROUP BY option_id
) counted ON counted.option_id = so.id
"""

# Per study and method config (non-gold options only): pooled judgments and item votes.
# (PostgreSQL sums bigints to numeric; the casts keep counts integers on both backends.)
METHOD_ACCEPTABILITY = """
CREATE VIEW v_method_acceptability AS
SELECT study_id,
       method_config_id,
       method,
       CAST(SUM(n_judgments) AS BIGINT) AS n_judgments,
       CAST(SUM(n_acceptable) AS BIGINT) AS n_acceptable,
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

# Which option each annotator preferred on each item: a method, a gold image, or a kind
# (tie / both_bad).
PREFERENCES = """
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
WHERE asg.preferred_option_id IS NOT NULL OR asg.preference_kind IS NOT NULL
"""

# Per annotator: work done, gold accuracy, time per item. The median is PostgreSQL's
# percentile_cont (one sort per annotator); SQLite has no ordered-set aggregates, so there
# it averages the middle one or two rows found by window functions: the same number.
MEDIAN_SECONDS = {
    "postgresql": """
medians AS (
    SELECT annotator_id,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds_spent) AS median_seconds
    FROM assignment
    WHERE seconds_spent IS NOT NULL
    GROUP BY annotator_id
),""",
    "sqlite": """
timed AS (
    SELECT annotator_id,
           seconds_spent,
           ROW_NUMBER() OVER (PARTITION BY annotator_id ORDER BY seconds_spent) AS time_rank,
           COUNT(*) OVER (PARTITION BY annotator_id) AS n_timed
    FROM assignment
    WHERE seconds_spent IS NOT NULL
),
medians AS (
    SELECT annotator_id, AVG(seconds_spent) AS median_seconds
    FROM timed
    WHERE time_rank IN ((n_timed + 1) / 2, (n_timed + 2) / 2)
    GROUP BY annotator_id
),""",
}
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
           COUNT(*) AS n_judgments,
           SUM(CASE WHEN so.expected_acceptable IS NOT NULL THEN 1 ELSE 0 END)
               AS n_gold_judgments,
           SUM(CASE WHEN so.expected_acceptable IS NOT NULL
                     AND j.acceptable = so.expected_acceptable THEN 1 ELSE 0 END)
               AS n_gold_correct
    FROM judgment j
    JOIN study_option so ON so.id = j.option_id
    GROUP BY j.annotator_id
)
SELECT a.study_id,
       a.id AS annotator_id,
       a.name AS annotator_name,
       a.revoked_at,
       COALESCE(w.n_assigned, 0) AS n_assigned,
       COALESCE(w.n_completed, 0) AS n_completed,
       COALESCE(ans.n_judgments, 0) AS n_judgments,
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

# In dependency order: a view comes after the views it reads.
VIEWS: list[tuple[str, str]] = [
    ("v_run_samples", RUN_SAMPLES),
    ("v_run_edits", RUN_EDITS),
    ("v_edit_metrics", EDIT_METRICS),
    ("v_run_method_status", RUN_METHOD_STATUS),
    ("v_metric_summary", METRIC_SUMMARY),
    ("v_judgments", JUDGMENTS),
    ("v_item_acceptability", ITEM_ACCEPTABILITY),
    ("v_method_acceptability", METHOD_ACCEPTABILITY),
    ("v_preferences", PREFERENCES),
    ("v_annotator_quality", ANNOTATOR_QUALITY),
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in RUN_SAMPLES_DIALECT:
        raise NotImplementedError(f"report views support sqlite and postgresql, not {dialect}")
    for name, create_sql in VIEWS:
        if name == "v_run_samples":
            create_sql = create_sql.format(**RUN_SAMPLES_DIALECT[dialect])
        elif name == "v_annotator_quality":
            create_sql = create_sql.format(medians=MEDIAN_SECONDS[dialect])
        op.execute(create_sql)


def downgrade() -> None:
    for name, _create_sql in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
