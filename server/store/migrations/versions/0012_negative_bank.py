"""negatives: the negative bank; index_changes.negatives: workers reload it alone

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "negatives",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        sa.Column("sha256", sa.String(64), unique=True),
        sa.Column("image_id", sa.Integer(), sa.ForeignKey("images.id", ondelete="CASCADE")),
        sa.Column("source_url", sa.Text()),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary()),
        sa.Column("work_jpeg", sa.LargeBinary()),
        sa.Column("regions", sa.Text()),
        sa.Column("pdq_codes", sa.LargeBinary()),
        sa.Column("pdq_variants", sa.Text()),
        sa.Column("orb_xy", sa.LargeBinary()),
        sa.Column("orb_descriptors", sa.LargeBinary()),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_negatives_status", "negatives", ["status"])
    with op.batch_alter_table("index_changes") as batch:
        batch.add_column(
            sa.Column("negatives", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("index_changes") as batch:
        batch.drop_column("negatives")
    op.drop_index("ix_negatives_status", "negatives")
    op.drop_table("negatives")
