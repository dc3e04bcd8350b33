"""submissions: candidates computed once in the background; stored image size

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("candidates", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("analysis", sa.String(20), nullable=False, server_default="pending")
        )
        batch.add_column(sa.Column("analysis_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("image_size", sa.Integer(), nullable=False, server_default="0")
        )
        batch.create_index("ix_submissions_analysis", ["analysis"])
        batch.create_index("ix_submissions_status_created", ["status", "created_at", "id"])
    submissions = sa.table("submissions", sa.column("image_size"), sa.column("image"))
    op.execute(submissions.update().values(image_size=sa.func.length(submissions.c.image)))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_status_created")
        batch.drop_index("ix_submissions_analysis")
        batch.drop_column("image_size")
        batch.drop_column("analysis_at")
        batch.drop_column("analysis")
        batch.drop_column("candidates")
