"""an image's indexed PDQ hashes in two columns of its row, not a row per hash

A worker's start-up read ~1 M rows of 32 bytes at 1 M hashes, mostly paying for the
rows; 17 hashes per image now come as one value (bench/speed/startup.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

images = sa.table(
    "images",
    sa.column("id", sa.Integer),
    sa.column("pdq_codes", sa.LargeBinary),
    sa.column("pdq_variants", sa.Text),
)
image_hashes = sa.table(
    "image_hashes",
    sa.column("id", sa.BigInteger),
    sa.column("image_id", sa.Integer),
    sa.column("variant", sa.String),
    sa.column("pdq", sa.LargeBinary),
)


def upgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.add_column(sa.Column("pdq_codes", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("pdq_variants", sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(image_hashes.c.image_id, image_hashes.c.variant, image_hashes.c.pdq).order_by(
            image_hashes.c.image_id, image_hashes.c.id
        )
    )
    update = (
        images.update()
        .where(images.c.id == sa.bindparam("image"))
        .values(pdq_codes=sa.bindparam("codes"), pdq_variants=sa.bindparam("names"))
    )
    batch = []
    for image_id, hashes in groupby(rows, key=lambda row: row[0]):
        hashes = list(hashes)
        batch.append(
            {
                "image": image_id,
                "codes": b"".join(bytes(h[2]) for h in hashes),
                "names": ",".join(h[1] for h in hashes),
            }
        )
        if len(batch) == 1000:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    with op.batch_alter_table("image_hashes") as batch_op:
        batch_op.drop_index("ix_image_hashes_image_id")
    op.drop_table("image_hashes")


def downgrade() -> None:
    op.create_table(
        "image_hashes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("image_id", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("pdq", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["image_id"], ["images.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("image_hashes") as batch_op:
        batch_op.create_index("ix_image_hashes_image_id", ["image_id"], unique=False)
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(images.c.id, images.c.pdq_codes, images.c.pdq_variants)
        .where(images.c.pdq_codes.is_not(None))
        .order_by(images.c.id)
    ).all()
    hashes = [
        {"image_id": image_id, "variant": name, "pdq": bytes(codes[32 * i : 32 * i + 32])}
        for image_id, codes, names in rows
        for i, name in enumerate(names.split(","))
    ]
    if hashes:
        conn.execute(image_hashes.insert(), hashes)
    # Not batch mode: on SQLite that copies ``images`` to a new table and drops the old
    # one, and with foreign keys on, the drop cascades to every row that refers to it
    # (the hashes just written back among them). SQLite 3.35+ drops a column in place.
    op.drop_column("images", "pdq_variants")
    op.drop_column("images", "pdq_codes")
