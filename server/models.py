"""Tables of the known-fakes database (SQLAlchemy 2 declarative).

An entry follows schema.org MediaReview/ClaimReview: what the image really is
(origin), what false claim it carried (claim, appearances), and who debunked it
(sources). Images hang off entries; each image has several PDQ hashes (crops,
trimmed) that the in-memory index loads. ``meta.index_version`` is bumped in the
same transaction as any change that affects matching, which is how every worker
learns that its index is stale.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

CATEGORIES = (
    "DecontextualizedContent",
    "EditedOrCroppedContent",
    "TransformedContent",
    "StagedContent",
    "SatireOrParodyContent",
    "OriginalMediaContent",
)
STATUSES = ("published", "disabled", "retracted")
ROLES = ("original", "misused", "variant")


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    entry: Mapped[Entry] = relationship(back_populates="images")
    hashes: Mapped[list[ImageHash]] = relationship(
        cascade="all, delete-orphan", order_by="ImageHash.id"
    )


class ImageHash(Base):
    """One indexed PDQ hash of an image (whole, trimmed, or a crop window)."""

    __tablename__ = "image_hashes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    variant: Mapped[str] = mapped_column(String(20))
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))


class ApiToken(Base):
    """A bearer token for partners and tools; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Meta(Base):
    """Small named counters; ``index_version`` orders every change to matching."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, server_default="0")
