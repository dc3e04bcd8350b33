"""What a merge and a status change must not lose: the reporter's words and language on
the appearance they saw, and the moderator's reason for a retraction or a disable

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("language", sa.String(20), nullable=True))
    op.add_column("appearances", sa.Column("claim", sa.Text(), nullable=True))
    op.add_column("entries", sa.Column("status_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite it copies the table and drops the old one, and dropping
    # "entries" would cascade to every image. SQLite 3.35+ drops a column in place.
    op.drop_column("entries", "status_reason")
    op.drop_column("appearances", "claim")
    op.drop_column("submissions", "language")
