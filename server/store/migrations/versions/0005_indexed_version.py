"""meta.indexed_version: moves only with changes to what the indexes are built from

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

meta = sa.table("meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    op.bulk_insert(meta, [{"key": "indexed_version", "value": 0}])


def downgrade() -> None:
    op.execute(meta.delete().where(meta.c.key == "indexed_version"))
