"""Tables of the known-fakes database (SQLAlchemy 2 declarative).

An entry follows schema.org MediaReview/ClaimReview: what the image really is
(origin), what false claim it carried (claim, appearances), and who debunked it
(sources). Images hang off entries; each image has several PDQ hashes (crops,
trimmed) that the in-memory index loads. ``meta.index_version`` is bumped in the
same transaction as any change that affects a verdict, which is how every worker
learns that its cached verdicts are stale; ``index_changes`` says which entries'
images changed, so that it reloads just those.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Entry(Base):
    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    claim: Mapped[str] = mapped_column(Text)
    claim_date: Mapped[dt.date | None] = mapped_column(Date)
    rating: Mapped[str | None] = mapped_column(String(80))
    origin_description: Mapped[str] = mapped_column(Text, default="")
    origin_url: Mapped[str | None] = mapped_column(String(2000))
    origin_author: Mapped[str | None] = mapped_column(String(300))
    origin_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    # Why a moderator retracted or disabled it: the retraction notice says so.
    status_reason: Mapped[str | None] = mapped_column(Text)
    demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    images: Mapped[list[Image]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Image.id"
    )
    appearances: Mapped[list[Appearance]] = relationship(
        cascade="all, delete-orphan", order_by="Appearance.id"
    )
    sources: Mapped[list[Source]] = relationship(cascade="all, delete-orphan", order_by="Source.id")
    videos: Mapped[list[Video]] = relationship(
        cascade="all, delete-orphan", order_by="Video.id", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": version}


class Appearance(Base):
    """A place where the misused image was published with the false claim."""

    __tablename__ = "appearances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    date: Mapped[dt.date | None] = mapped_column(Date)
    publisher: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(20))
    # What the post claimed there, in its own words, when it differs from the entry's.
    claim: Mapped[str | None] = mapped_column(Text)


class Source(Base):
    """A debunk: a fact-check article or other evidence of the true origin."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    publisher: Mapped[str | None] = mapped_column(String(300))
    date: Mapped[dt.date | None] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(String(500))


class Image(Base):
    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(10))
    pdq: Mapped[str] = mapped_column(String(64))
    pdq_quality: Mapped[int] = mapped_column(Integer)
    phash: Mapped[str] = mapped_column(String(16))
    dhash: Mapped[str] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(2000))
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    # The decoded work picture (<= 512 px), kept so hashes and features can be
    # recomputed when the pipeline changes; and its ORB keypoints for stage 2.
    work_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Where its content is in the work picture (without the frame it circulated in) and
    # that content without flat bands: JSON {"content": [l, t, r, b], "trimmed": [...]}.
    regions: Mapped[str | None] = mapped_column(Text, deferred=True)
    orb_xy: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    orb_descriptors: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Each descriptor's list in the descriptor index (uint16), under this quantizer.
    orb_lists: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    orb_quantizer_id: Mapped[int | None] = mapped_column(Integer)

    # Every indexed PDQ hash of the image (whole, trimmed, crop windows), 32 bytes each,
    # and their variant names, comma-separated. One row per image rather than one per
    # hash: a worker reads 17x fewer rows at start-up (bench/speed/startup.py).
    # The words of a picture made of words (matching/text.py): checks compare them.
    text: Mapped[str | None] = mapped_column(Text)
    # What the file said of its origin when it arrived (records.Provenance as JSON).
    provenance: Mapped[str | None] = mapped_column(Text, deferred=True)
    # A frame of a reference video: which one, and where in it (seconds).
    video_id: Mapped[int | None] = mapped_column(
        ForeignKey("videos.id", ondelete="CASCADE"), index=True
    )
    frame_time_s: Mapped[float | None] = mapped_column(Float)
    pdq_codes: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdq_variants: Mapped[str | None] = mapped_column(Text, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    entry: Mapped[Entry] = relationship(back_populates="images")


class Video(Base):
    """A reference video of an entry, indexed in the background as its key frames
    (``videos.index_video``): the frames are image rows; this row holds the progress
    and, until indexed (or always with ``VIDEO_KEEP``), the file itself."""

    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("entry_id", "sha256", name="uq_videos_entry_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    codec: Mapped[str | None] = mapped_column(String(40))
    frames: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    poster: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


class ApiToken(Base):
    """A bearer token for partners and tools; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class FeatureQuantizer(Base):
    """Centroids of stage 2's descriptor index, trained once (``flask train-quantizer``).

    The newest row is the current one; images whose ``orb_quantizer_id`` is older are
    reassigned by the command that trains a new one.
    """

    __tablename__ = "feature_quantizers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centroids: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class IndexChange(Base):
    """One change to what the indexes hold, so a worker reloads only what changed.

    ``entry_id`` is the entry whose images or status changed; NULL means everything
    (a reindex, a new quantizer), after which workers rebuild from scratch. A change to
    the negative bank has ``negatives`` set and no entry: workers reload just that bank.
    """

    __tablename__ = "index_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    negatives: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Negative(Base):
    """Material that is not evidence of a known fake (the negative bank).

    ``kind`` says what it is: a ``lookalike`` is a picture that is not a fake (another
    shot of the scene, a neighbouring frame of a burst): a query it explains as well as
    an entry is not that entry. An ``overlay`` (logo, watermark, lower third, interface),
    a ``frame`` (a post's or player's chrome; kept by itself when a copy is cut to its
    picture, ``image_id`` then says which) and a ``template`` (a meme's picture) are
    material many pictures share: their keypoints vote for nothing and the pixel check
    leaves out what agrees there.
    """

    __tablename__ = "negatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    source_url: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    work_jpeg: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    regions: Mapped[str | None] = mapped_column(Text)
    pdq_codes: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdq_variants: Mapped[str | None] = mapped_column(Text, deferred=True)
    orb_xy: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    orb_descriptors: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Meta(Base):
    """Small named counters; ``index_version`` orders every change to matching."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, server_default="0")


class User(Base):
    """A signed-in volunteer, moderator or admin (passwords hashed by werkzeug)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="volunteer")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # An invitation not yet taken: the link's token, hashed, and until when it works.
    invite_sha256: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    invite_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class LoginSession(Base):
    """One sign-in. The cookie carries its token; deleting the row ends it everywhere
    (logout, a role change, deactivation, a password reset)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Submission(Base):
    """A suspected known fake sent by anyone, waiting for a moderator."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_status_created", "status", "created_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitter_label: Mapped[str] = mapped_column(String(200), default="anonymous")
    claim: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str | None] = mapped_column(String(20))  # of the post it was seen in
    # Where to tell the reporter of a decision; forgotten once the report is decided.
    notify_email: Mapped[str | None] = mapped_column(String(320))
    seen_url: Mapped[str | None] = mapped_column(String(2000))
    seen_date: Mapped[dt.date | None] = mapped_column(Date)
    origin_url: Mapped[str | None] = mapped_column(String(2000))
    origin_description: Mapped[str] = mapped_column(Text, default="")
    origin_author: Mapped[str | None] = mapped_column(String(300))
    origin_date: Mapped[dt.date | None] = mapped_column(Date)
    evidence_urls: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    notes: Mapped[str] = mapped_column(Text, default="")
    image_url: Mapped[str | None] = mapped_column(String(2000))
    image: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # A report that is a video: the file (its first frame is ``image``); indexed as the
    # entry's reference video when the report is approved or merged.
    video: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdq: Mapped[str] = mapped_column(String(64))
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    reason: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("entries.id"))
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of who sent it and their Idempotency-Key: a retried POST finds its first try.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    # What the stored image looks like, found once by a background task (review.py):
    # JSON {"entries": [...], "submissions": [...]}; "pending" until then.
    candidates: Mapped[str | None] = mapped_column(Text)
    analysis: Mapped[str] = mapped_column(
        String(20), default="pending", server_default="pending", index=True
    )  # pending | running | done | failed
    analysis_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    image_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What the file said of its origin as sent (records.Provenance as JSON): kept apart
    # because a large report is stored re-encoded, without its credentials.
    provenance: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=_now, onupdate=_now
    )


class AuditEvent(Base):
    """Who changed what, when: one row per write, with the state before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "user:3 Ana", "token:5 partner", "cli"
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(40), index=True)  # "entry:7", "submission:3"
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON


class Feedback(Base):
    """A reader's verdict on an annotation shown to them."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    page_url: Mapped[str | None] = mapped_column(String(2000))
    image_url: Mapped[str | None] = mapped_column(String(2000))
    # Keyed hash of the reader's address: one say per reader and entry, no address kept.
    client_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    __table_args__ = (Index("ix_feedback_entry_client", "entry_id", "client_key", unique=True),)


class OutboxMail(Base):
    """A mail to send. The row, not the queue, is the record: a lost job is found again
    by the sweep, and a sent one is never sent twice."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
