"""videos; images.video_id and images.frame_time_s: a reference can be a video

A video is indexed in the background as the frames a reader could screenshot; each
kept frame is an ordinary image row of the entry (so both stages search it like a
still) that remembers its video and its time in it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "videos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "entry_id",
            sa.Integer(),
            sa.ForeignKey("entries.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("source_url", sa.String(2000)),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending", index=True),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("duration_s", sa.Float()),
        sa.Column("width", sa.Integer()),
        sa.Column("height", sa.Integer()),
        sa.Column("codec", sa.String(40)),
        sa.Column("frames", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("size", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("poster", sa.LargeBinary()),
        sa.Column("data", sa.LargeBinary()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("entry_id", "sha256", name="uq_videos_entry_sha256"),
    )
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("video_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("frame_time_s", sa.Float(), nullable=True))
        batch.create_index("ix_images_video_id", ["video_id"])
        batch.create_foreign_key(
            "fk_images_video_id", "videos", ["video_id"], ["id"], ondelete="CASCADE"
        )


def downgrade() -> None:
    with op.batch_alter_table("images") as batch:
        batch.drop_constraint("fk_images_video_id", type_="foreignkey")
        batch.drop_index("ix_images_video_id")
        batch.drop_column("frame_time_s")
        batch.drop_column("video_id")
    op.drop_table("videos")
