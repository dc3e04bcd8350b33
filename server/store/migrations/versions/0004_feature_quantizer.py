"""stored quantizer for stage 2's descriptor index, and each image's list numbers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feature_quantizers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centroids", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("images") as batch_op:
        batch_op.add_column(sa.Column("orb_lists", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("orb_quantizer_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.drop_column("orb_quantizer_id")
        batch_op.drop_column("orb_lists")
    op.drop_table("feature_quantizers")
