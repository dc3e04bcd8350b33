"""Mail: an outbox that survives a lost queue, reporters' optional addresses, invitations

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("to_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.add_column("submissions", sa.Column("notify_email", sa.String(320), nullable=True))
    op.add_column("users", sa.Column("invite_sha256", sa.String(64), nullable=True))
    op.add_column(
        "users", sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_users_invite_sha256", "users", ["invite_sha256"], unique=True)


def downgrade() -> None:
    # Not batch mode (see 0017): dropping a parent table's copy would cascade.
    op.drop_index("ix_users_invite_sha256", "users")
    op.drop_column("users", "invite_expires_at")
    op.drop_column("users", "invite_sha256")
    op.drop_column("submissions", "notify_email")
    op.drop_index("ix_outbox_sent_at", "outbox")
    op.drop_table("outbox")
