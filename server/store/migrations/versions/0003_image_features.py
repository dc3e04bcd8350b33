"""image work picture and ORB features (stage 2)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.add_column(sa.Column("work_jpeg", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("orb_xy", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("orb_descriptors", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.drop_column("orb_descriptors")
        batch_op.drop_column("orb_xy")
        batch_op.drop_column("work_jpeg")
