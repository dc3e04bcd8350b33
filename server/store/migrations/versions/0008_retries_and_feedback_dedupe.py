"""submissions.idempotency_key; feedback.client_key (one reader's say per entry)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
        batch.create_index("ix_submissions_idempotency_key", ["idempotency_key"], unique=True)
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("client_key", sa.String(64), nullable=True))
        batch.create_index("ix_feedback_entry_client", ["entry_id", "client_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_entry_client")
        batch.drop_column("client_key")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index("ix_submissions_idempotency_key")
        batch.drop_column("idempotency_key")
