"""Study display images: every image a study shows, encoded once at creation as the page
sends it (RGB, at the item's source display size, fixed settings), so serving an item
splices a per-slot chunk into stored bytes instead of decoding and encoding three images.

Studies made before this revision have no rows: the page encodes their images on the fly,
as before. Downgrade drops the table (nothing else refers to it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "study_display_image",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "role IN ('source', 'option0', 'option1')",
            name=op.f("ck_study_display_image_known_role"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["study_item.id"],
            name=op.f("fk_study_display_image_item_id_study_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "role", name=op.f("pk_study_display_image")),
    )


def downgrade() -> None:
    op.drop_table("study_display_image")
