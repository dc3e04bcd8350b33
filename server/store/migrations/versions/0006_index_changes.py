"""index_changes: which entries changed, so workers reload only those

Replaces meta.indexed_version: a text-only change is one that adds no row here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    op.create_table(
        "index_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(meta.delete().where(meta.c.key == "indexed_version"))


def downgrade() -> None:
    op.drop_table("index_changes")
    op.bulk_insert(meta, [{"key": "indexed_version", "value": 0}])
