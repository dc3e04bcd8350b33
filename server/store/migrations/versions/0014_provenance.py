"""images.provenance, submissions.provenance: what the file said of its origin on arrival

Content Credentials and metadata are read from the bytes as received (a large report is
kept re-encoded, which strips them), so they are stored as read then, as JSON.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("images", "submissions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("provenance", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("images", "submissions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("provenance")
