"""Initial schema: images, datasets, samples, method configs, runs, edits, metric values,
stage caches and the blind study tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 01:43:58.644317
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cache_entry",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_cache_entry")),
    )
    op.create_table(
        "dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source_format", sa.String(length=32), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset")),
        sa.UniqueConstraint("name", name=op.f("uq_dataset_name")),
    )
    op.create_table(
        "image",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_image_sha256_length")),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_image_positive_size")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_image")),
    )
    op.create_table(
        "method_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("config_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_method_config")),
        sa.UniqueConstraint("config_hash", name=op.f("uq_method_config_config_hash")),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("profile", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("setting", sa.String(length=16), nullable=False),
        sa.Column(
            "selection",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "provenance",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_run_dataset_id_dataset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("session_id", sa.String(length=200), nullable=False),
        sa.Column("turn_index", sa.Integer(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("source_image", sa.String(length=64), nullable=False),
        sa.Column("mask_image", sa.String(length=64), nullable=True),
        sa.Column("target_image", sa.String(length=64), nullable=True),
        sa.Column("input_caption_global", sa.Text(), nullable=True),
        sa.Column("output_caption_global", sa.Text(), nullable=True),
        sa.Column("output_caption_local", sa.Text(), nullable=True),
        sa.Column(
            "import_notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["dataset.id"],
            name=op.f("fk_sample_dataset_id_dataset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mask_image"], ["image.sha256"], name=op.f("fk_sample_mask_image_image")
        ),
        sa.ForeignKeyConstraint(
            ["source_image"], ["image.sha256"], name=op.f("fk_sample_source_image_image")
        ),
        sa.ForeignKeyConstraint(
            ["target_image"], ["image.sha256"], name=op.f("fk_sample_target_image_image")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample")),
        sa.UniqueConstraint(
            "dataset_id", "external_id", name=op.f("uq_sample_dataset_id_external_id")
        ),
        sa.UniqueConstraint(
            "dataset_id",
            "session_id",
            "turn_index",
            name=op.f("uq_sample_dataset_id_session_id_turn_index"),
        ),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index("ix_sample_source_image", ["source_image"], unique=False)

    op.create_table(
        "edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("method_config_id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("setting", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("output_image", sa.String(length=64), nullable=True),
        sa.Column(
            "before_captions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "after_captions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("llm_raw_text", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "timings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "notes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["method_config_id"],
            ["method_config.id"],
            name=op.f("fk_edit_method_config_id_method_config"),
        ),
        sa.ForeignKeyConstraint(
            ["output_image"], ["image.sha256"], name=op.f("fk_edit_output_image_image")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_edit_run_id_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_edit_sample_id_sample"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edit")),
        sa.UniqueConstraint(
            "sample_id",
            "method_config_id",
            "seed",
            "setting",
            name=op.f("uq_edit_sample_id_method_config_id_seed_setting"),
        ),
    )
    with op.batch_alter_table("edit", schema=None) as batch_op:
        batch_op.create_index("ix_edit_run_id", ["run_id"], unique=False)

    op.create_table(
        "run_method_config",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("method_config_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["method_config_id"],
            ["method_config.id"],
            name=op.f("fk_run_method_config_method_config_id_method_config"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_method_config_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("run_id", "method_config_id", name=op.f("pk_run_method_config")),
    )
    op.create_table(
        "study",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column(
            "method_config_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("overlap", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_study_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study")),
        sa.UniqueConstraint("name", name=op.f("uq_study_name")),
    )
    op.create_table(
        "annotator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["study_id"], ["study.id"], name=op.f("fk_annotator_study_id_study"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotator")),
        sa.UniqueConstraint("study_id", "name", name=op.f("uq_annotator_study_id_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_annotator_token_hash")),
    )
    op.create_table(
        "metric_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edit_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("metric_version", sa.String(length=200), nullable=False),
        sa.Column("caption_kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(precision=53), nullable=True),
        sa.Column("not_applicable", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(value IS NULL) <> (not_applicable IS NULL)",
            name=op.f("ck_metric_value_value_xor_not_applicable"),
        ),
        sa.ForeignKeyConstraint(
            ["edit_id"], ["edit.id"], name=op.f("fk_metric_value_edit_id_edit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_value")),
        sa.UniqueConstraint(
            "edit_id",
            "metric",
            "metric_version",
            "caption_kind",
            name=op.f("uq_metric_value_edit_id_metric_metric_version_caption_kind"),
        ),
    )
    op.create_table(
        "study_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("is_gold", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["sample.id"], name=op.f("fk_study_item_sample_id_sample")
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["study.id"],
            name=op.f("fk_study_item_study_id_study"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_item")),
        sa.UniqueConstraint(
            "study_id",
            "sample_id",
            "is_gold",
            name=op.f("uq_study_item_study_id_sample_id_is_gold"),
        ),
    )
    op.create_table(
        "study_option",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=False),
        sa.Column("edit_id", sa.Integer(), nullable=True),
        sa.Column("method_config_id", sa.Integer(), nullable=True),
        sa.Column("gold_role", sa.String(length=16), nullable=True),
        sa.Column("expected_acceptable", sa.Boolean(), nullable=True),
        sa.CheckConstraint("position IN (0, 1)", name=op.f("ck_study_option_two_positions")),
        sa.ForeignKeyConstraint(
            ["edit_id"], ["edit.id"], name=op.f("fk_study_option_edit_id_edit")
        ),
        sa.ForeignKeyConstraint(
            ["image_sha256"], ["image.sha256"], name=op.f("fk_study_option_image_sha256_image")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_item.id"],
            name=op.f("fk_study_option_item_id_study_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["method_config_id"],
            ["method_config.id"],
            name=op.f("fk_study_option_method_config_id_method_config"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_study_option")),
        sa.UniqueConstraint("item_id", "position", name=op.f("uq_study_option_item_id_position")),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("swap_sides", sa.Boolean(), nullable=False),
        sa.Column("preferred_option_id", sa.Integer(), nullable=True),
        sa.Column("preference_kind", sa.String(length=16), nullable=True),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds_spent", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotator.id"],
            name=op.f("fk_assignment_annotator_id_annotator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_item.id"],
            name=op.f("fk_assignment_item_id_study_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_option_id"],
            ["study_option.id"],
            name=op.f("fk_assignment_preferred_option_id_study_option"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
        sa.UniqueConstraint(
            "annotator_id", "item_id", name=op.f("uq_assignment_annotator_id_item_id")
        ),
        sa.UniqueConstraint(
            "annotator_id", "position", name=op.f("uq_assignment_annotator_id_position")
        ),
    )
    op.create_table(
        "judgment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("annotator_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=False),
        sa.Column("acceptable", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["annotator_id"],
            ["annotator.id"],
            name=op.f("fk_judgment_annotator_id_annotator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_item.id"],
            name=op.f("fk_judgment_item_id_study_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["study_option.id"],
            name=op.f("fk_judgment_option_id_study_option"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgment")),
        sa.UniqueConstraint(
            "annotator_id",
            "item_id",
            "option_id",
            name=op.f("uq_judgment_annotator_id_item_id_option_id"),
        ),
    )
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.create_index("ix_judgment_item_id", ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("judgment", schema=None) as batch_op:
        batch_op.drop_index("ix_judgment_item_id")

    op.drop_table("judgment")
    op.drop_table("assignment")
    op.drop_table("study_option")
    op.drop_table("study_item")
    op.drop_table("metric_value")
    op.drop_table("annotator")
    op.drop_table("study")
    op.drop_table("run_method_config")
    with op.batch_alter_table("edit", schema=None) as batch_op:
        batch_op.drop_index("ix_edit_run_id")

    op.drop_table("edit")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_source_image")

    op.drop_table("sample")
    op.drop_table("run")
    op.drop_table("method_config")
    op.drop_table("image")
    op.drop_table("dataset")
    op.drop_table("cache_entry")
