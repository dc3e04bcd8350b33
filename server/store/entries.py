"""The known-fakes store: one narrow interface, one SQL implementation.

Views, the CLI and the index talk to ``Store`` only, never to SQLAlchemy, so the
storage can change without touching them (the HMA ``storage/interface.py`` idea).
Every write that can change a verdict bumps ``index_version`` in the same
transaction; workers compare it with the version their index was built from. Writes
that change what the indexes hold also record which entry changed (``index_changed``),
so a worker reloads that entry, not the whole bank.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
from flask import Flask, current_app
from pydantic import BaseModel
from sqlalchemy import Engine, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, undefer

from ..matching.features import IVF_ABOVE, Features, Quantizer
from ..matching.hashing import Fingerprint
from ..matching.source import (
    FeatureRows,
    IndexChanges,
    IndexRows,
    NegativeImage,
    StoredPicture,
    stored_picture,
)
from ..records import CATEGORY_LABELS, STATUSES, EntryFields, EntryOut, VideoOut
from . import models as m
from .db import BoundedSessions, get_engine


@dataclass(frozen=True)
class NewImage:
    """A known image ready to store: its fingerprint and a small thumbnail."""

    fingerprint: Fingerprint
    thumbnail: bytes
    role: str
    source_url: str | None = None
    features: Features | None = None
    work_jpeg: bytes | None = None
    #: A copy cut to its picture: the keypoints of the frame around it, kept in the
    #: negative bank as material that is not evidence (``models.Negative``).
    frame: Features | None = None
    text: str | None = None  # the words of a picture made of words (matching/text.py)
    provenance: str | None = None  # records.Provenance as JSON, read from the bytes as sent


class StoredImage(NamedTuple):
    """Where a stored image belongs (``flask reindex`` prepares it again beside its
    entry's originals)."""

    id: int
    entry_id: int
    role: str


class EntryStatus(NamedTuple):
    status: str  # published, disabled or retracted
    reason: str | None  # the moderator's, when taken down
    changed_at: dt.datetime  # of the entry's last change


class FingerprintImage(NamedTuple):
    """One stored image's PDQ hashes as private mode downloads them."""

    id: int
    codes: bytes  # 32 bytes per hash
    frame_time_s: float | None  # a frame of a video: where in it


class FingerprintPage(NamedTuple):
    """A page of the bank's fingerprints for a device's copy (``Store.fingerprints``)."""

    version: int  # the change this pass ends at: the device's next ``since``
    reset: bool  # the device drops its copy first (a first sync, or a reindex since)
    entries: list[tuple[int, list[FingerprintImage]]]  # published entries, ascending ids
    deleted: list[int]  # entries that changed and are no longer published
    after: int | None  # the cursor of the next page; None on the last


#: The hashes of a stored image that a whole query can land near (its crop windows
#: serve queries cropped from it, and multiply the download by four).
CORE_VARIANTS = frozenset({"full", "trimmed", "centre-90", "centre-80"})


class DuplicateImage(ValueError):
    """The image's exact bytes are already stored (imports are idempotent by SHA-256)."""

    def __init__(self, entry_id: int) -> None:
        super().__init__(f"image already stored in entry {entry_id}")
        self.entry_id = entry_id


class Store(Protocol):
    def add_entry(self, fields: EntryFields, images: list[NewImage]) -> int: ...
    def get_entry(self, entry_id: int, *, published_only: bool = True) -> EntryOut | None: ...
    def get_entries(self, entry_ids: list[int]) -> dict[int, EntryOut]: ...
    def list_entries(
        self, *, query: str | None, after: int | None, limit: int
    ) -> list[EntryOut]: ...
    def browse(
        self,
        *,
        query: str | None,
        category: str | None,
        before: int | None,
        limit: int,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[EntryOut]: ...
    def entry_status(self, entry_id: int) -> EntryStatus | None: ...
    def published_ids(self, limit: int) -> list[tuple[int, dt.datetime]]: ...
    def iter_entries(self) -> Iterator[tuple[EntryOut, list[str]]]: ...
    def set_status(self, entry_id: int, status: str) -> None: ...
    def entry_for_sha256(self, sha256: str) -> int | None: ...
    def thumbnail(self, image_id: int) -> tuple[bytes, str] | None: ...
    def picture(self, image_id: int) -> StoredPicture | None: ...
    def work_jpeg(self, image_id: int) -> bytes | None: ...
    def originals_of(self, entry_id: int) -> list[bytes]: ...
    def image_keypoints(self, image_id: int) -> Features | None: ...
    def negative_images(self) -> list[NegativeImage]: ...
    def index_version(self) -> int: ...
    def index_changes(self, after: int, limit: int) -> IndexChanges: ...
    def index_rows(self, entries: Collection[int] | None = None) -> IndexRows: ...
    def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows: ...
    def train_quantizer(self, lists: int, progress: Callable[[int], None]) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def fingerprints(
        self, since: int, at: int | None, after: int, limit: int, variants: Collection[str] | None
    ) -> FingerprintPage: ...


class SqlStore:
    """``Store`` on SQLAlchemy: SQLite (embedded default) or PostgreSQL."""

    def __init__(self, engine: Engine, timeout: float = 1.5) -> None:
        self._sessions = BoundedSessions(engine, timeout)
        self.dialect = engine.dialect.name

    # --- writes -------------------------------------------------------------

    def add_entry(self, fields: EntryFields, images: list[NewImage]) -> int:
        """Store an entry with its images; DuplicateImage if one is stored already.

        Two writers adding the same image at once (two imports of one file) both pass
        the look-up; the unique index stops the second, which is told the same thing.
        """
        try:
            with self._sessions.begin() as session:
                return insert_entry(session, fields, images).id
        except IntegrityError:
            with self._sessions() as session:
                for image in images:
                    existing = self._entry_for_sha256(session, image.fingerprint.sha256)
                    if existing is not None:
                        raise DuplicateImage(existing) from None
            raise

    def set_status(self, entry_id: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._sessions.begin() as session:
            entry = session.get(m.Entry, entry_id)
            if entry is None:
                raise KeyError(entry_id)
            entry.status = status
            index_changed(session, entry_id)

    # --- reads --------------------------------------------------------------

    def get_entry(self, entry_id: int, *, published_only: bool = True) -> EntryOut | None:
        with self._sessions() as session:
            stmt = _entries().where(m.Entry.id == entry_id)
            if published_only:
                stmt = stmt.where(m.Entry.status == "published")
            row = session.scalars(stmt).first()
            return entry_out(row) if row else None

    def get_entries(self, entry_ids: list[int]) -> dict[int, EntryOut]:
        if not entry_ids:
            return {}
        with self._sessions() as session:
            rows = session.scalars(_entries().where(m.Entry.id.in_(entry_ids)))
            return {row.id: entry_out(row) for row in rows}

    def list_entries(self, *, query: str | None, after: int | None, limit: int) -> list[EntryOut]:
        """Published entries, oldest first, after the id ``after`` (the API's paging)."""
        stmt = _searched(_entries().where(m.Entry.status == "published"), query)
        stmt = stmt.order_by(m.Entry.id).limit(limit)
        if after is not None:
            stmt = stmt.where(m.Entry.id > after)
        with self._sessions() as session:
            return [entry_out(row) for row in session.scalars(stmt)]

    def browse(
        self,
        *,
        query: str | None,
        category: str | None,
        before: int | None,
        limit: int,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> list[EntryOut]:
        """Published entries, newest first, before the id ``before`` (the public pages),
        first published from ``since`` to ``until`` (whole UTC days) when given."""
        stmt = _searched(_entries().where(m.Entry.status == "published"), query)
        if category:
            stmt = stmt.where(m.Entry.category == category)
        if since is not None:
            start = dt.datetime.combine(since, dt.time(), dt.UTC)
            stmt = stmt.where(m.Entry.created_at >= start)
        if until is not None:
            end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), dt.UTC)
            stmt = stmt.where(m.Entry.created_at < end)
        if before is not None:
            stmt = stmt.where(m.Entry.id < before)
        with self._sessions() as session:
            return [
                entry_out(row)
                for row in session.scalars(stmt.order_by(m.Entry.id.desc()).limit(limit))
            ]

    def entry_status(self, entry_id: int) -> EntryStatus | None:
        """Published, disabled or retracted, since when and why; None when there never
        was such an entry (a retracted one gets a notice, not a bare 404)."""
        stmt = select(m.Entry.status, m.Entry.status_reason, m.Entry.updated_at).where(
            m.Entry.id == entry_id
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        return EntryStatus(row.status, row.status_reason, _aware(row.updated_at)) if row else None

    def published_ids(self, limit: int) -> list[tuple[int, dt.datetime]]:
        """(id, last change) of published entries, newest first (the sitemap)."""
        stmt = (
            select(m.Entry.id, m.Entry.updated_at)
            .where(m.Entry.status == "published")
            .order_by(m.Entry.id.desc())
            .limit(limit)
        )
        with self._sessions() as session:
            return [(i, _aware(t)) for i, t in session.execute(stmt)]

    def iter_entries(self) -> Iterator[tuple[EntryOut, list[str]]]:
        """Every entry with the SHA-256 of its images, for export."""
        with self._sessions() as session:
            for row in session.scalars(_entries().order_by(m.Entry.id)):
                # As entry_out lists them: stills, not the frames of a reference video.
                shas = [image.sha256 for image in row.images if image.video_id is None]
                yield entry_out(row), shas

    def entry_for_sha256(self, sha256: str) -> int | None:
        with self._sessions() as session:
            return self._entry_for_sha256(session, sha256)

    def thumbnail(self, image_id: int) -> tuple[bytes, str] | None:
        """A stored image's thumbnail and its entry's status (retracted images are not
        shown to the public)."""
        stmt = (
            select(m.Image.thumbnail, m.Entry.status)
            .join(m.Entry, m.Entry.id == m.Image.entry_id)
            .where(m.Image.id == image_id)
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        return (row[0], row[1]) if row else None

    def originals_of(self, entry_id: int) -> list[bytes]:
        """The work pictures of an entry's originals: a copy added to the entry is cut to
        where one of them shows in it (``references.prepare``)."""
        stmt = (
            select(m.Image.work_jpeg)
            .where(m.Image.entry_id == entry_id, m.Image.role == "original")
            .where(m.Image.work_jpeg.is_not(None), m.Image.video_id.is_(None))
            .order_by(m.Image.id)
        )
        with self._sessions() as session:
            return list(session.scalars(stmt))

    def picture(self, image_id: int) -> StoredPicture | None:
        """What the pixel check needs of a stored image."""
        stmt = select(m.Image.work_jpeg, m.Image.regions, m.Image.text, m.Image.video_id).where(
            m.Image.id == image_id
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        if row is None or row.work_jpeg is None:
            return None
        regions = json.loads(row.regions) if row.regions else None
        return stored_picture(row.work_jpeg, regions, row.text, row.video_id)

    def work_jpeg(self, image_id: int) -> bytes | None:
        """The stored image as the matcher saw it (``flask reindex`` starts from it)."""
        with self._sessions() as session:
            return session.scalar(select(m.Image.work_jpeg).where(m.Image.id == image_id))

    def image_keypoints(self, image_id: int) -> Features | None:
        """One stored image's ORB keypoints, for stage 2's verification of a candidate."""
        stmt = select(m.Image.orb_xy, m.Image.orb_descriptors).where(m.Image.id == image_id)
        with self._sessions() as session:
            row = session.execute(stmt).first()
        if row is None or row.orb_descriptors is None:
            return None
        return Features.from_bytes(row.orb_xy or b"", row.orb_descriptors)

    def reindexable_images(self) -> list[StoredImage]:
        """The images whose work picture is stored, entry by entry, oldest first."""
        stmt = (
            select(m.Image.id, m.Image.entry_id, m.Image.role)
            .where(m.Image.work_jpeg.is_not(None))
            .order_by(m.Image.entry_id, m.Image.id)
        )
        with self._sessions() as session:
            return [StoredImage(*row) for row in session.execute(stmt)]

    def refingerprint(self, fingerprints: Iterable[tuple[int, NewImage]]) -> int:
        """Replace the hashes and features of stored images; one index version bump.

        For ``flask reindex`` after the hashing pipeline changed: ``NewImage``s come
        from the stored work pictures; what describes the original upload (SHA-256,
        size, format, thumbnail) stays.
        """
        count = 0
        with self._sessions.begin() as session:
            quantizer = filing_quantizer(session)
            for image_id, new in fingerprints:
                row = session.get(m.Image, image_id)
                if row is None:
                    continue
                fp = new.fingerprint
                row.pdq, row.pdq_quality, row.phash, row.dhash = (
                    fp.pdq,
                    fp.quality,
                    fp.phash,
                    fp.dhash,
                )
                for column, value in pdq_columns(fp).items():
                    setattr(row, column, value)
                row.regions = regions_column(fp)
                row.text = new.text
                if new.features is not None:
                    for column, value in orb_columns(new.features, quantizer).items():
                        setattr(row, column, value)
                add_frames(session, [(row, new)])
                count += 1
            index_changed(session, None)
        return count

    def index_version(self) -> int:
        with self._sessions() as session:
            return int(
                session.scalar(select(m.Meta.value).where(m.Meta.key == "index_version")) or 0
            )

    def index_changes(self, after: int, limit: int) -> IndexChanges:
        """Entries whose images or status changed after change ``after``, and whether
        the negative bank did.

        ``index_version`` also moves when only an entry's text changes (cached
        verdicts carry that text); such a change adds nothing here, so a worker
        keeps its indexes. More than ``limit`` changes read as "everything".
        """
        stmt = (
            select(m.IndexChange.id, m.IndexChange.entry_id, m.IndexChange.negatives)
            .where(m.IndexChange.id > after)
            .order_by(m.IndexChange.id)
            .limit(limit + 1)
        )
        with self._sessions() as session:
            rows = session.execute(stmt).all()
        if not rows:
            return IndexChanges(after, frozenset())
        negatives = any(row.negatives for row in rows)
        entries = {row.entry_id for row in rows if not row.negatives}
        if None in entries or len(rows) > limit:
            return IndexChanges(rows[-1].id, None, negatives)
        return IndexChanges(rows[-1].id, frozenset(entries), negatives)  # type: ignore[arg-type]

    def negative_images(self) -> list[NegativeImage]:
        """The active negative bank, with the pixels of every item that has its own."""
        stmt = (
            select(m.Negative)
            .where(m.Negative.status == "active")
            .options(
                undefer(m.Negative.pdq_codes),
                undefer(m.Negative.pdq_variants),
                undefer(m.Negative.orb_xy),
                undefer(m.Negative.orb_descriptors),
            )
            .order_by(m.Negative.id)
        )
        pictures_stmt = select(m.Negative.id, m.Negative.work_jpeg).where(
            m.Negative.status == "active", m.Negative.work_jpeg.is_not(None)
        )
        with self._sessions() as session:
            rows = session.scalars(stmt).all()
            pictures = {row.id: row.work_jpeg for row in session.execute(pictures_stmt)}
        return [
            NegativeImage(
                id=row.id,
                kind=row.kind,
                hashes=_hashes(row.pdq_codes, row.pdq_variants),
                features=(
                    Features.from_bytes(row.orb_xy or b"", row.orb_descriptors)
                    if row.orb_descriptors
                    else None
                ),
                work_jpeg=pictures.get(row.id),
                regions=json.loads(row.regions) if row.regions else None,
            )
            for row in rows
        ]

    def index_rows(self, entries: Collection[int] | None = None) -> IndexRows:
        """Every indexed hash of published entries, or of just ``entries``."""
        stmt = (
            select(m.Image.pdq_codes, m.Image.pdq_variants, m.Image.id, m.Image.entry_id)
            .join(m.Entry, m.Entry.id == m.Image.entry_id)
            .where(m.Entry.status == "published", m.Image.pdq_codes.is_not(None))
            .order_by(m.Image.id)
        )
        if entries is not None:
            stmt = stmt.where(m.Image.entry_id.in_(sorted(entries)))
        with self._sessions() as session:
            # Read the version and the last change first: a change landing during the
            # scan makes the index look one change stale, so that change is loaded
            # again (loading an entry's current rows twice is harmless), never missed.
            version = int(
                session.scalar(select(m.Meta.value).where(m.Meta.key == "index_version")) or 0
            )
            change = session.scalar(select(func.max(m.IndexChange.id))) or 0
            rows = session.execute(stmt).all()
        codes = np.frombuffer(b"".join(r[0] for r in rows), dtype=np.uint8).reshape(-1, 32)
        per_image = np.fromiter((len(r[0]) // 32 for r in rows), dtype=np.int64, count=len(rows))
        return IndexRows(
            codes=codes,
            image_ids=np.repeat(np.fromiter((r[2] for r in rows), np.int64, len(rows)), per_image),
            entry_ids=np.repeat(np.fromiter((r[3] for r in rows), np.int64, len(rows)), per_image),
            variants=",".join(r[1] for r in rows).split(",") if rows else [],
            version=version,
            change=change,
        )

    def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows:
        """ORB features of every published image that has them (or of just ``entries``'
        images), read with the quantizer.

        List numbers filed under an older quantizer are left out (the index assigns
        those images itself until ``train_quantizer`` has refiled them).
        """
        stmt = (
            select(
                m.Image.entry_id,
                m.Image.id,
                m.Image.orb_xy,
                m.Image.orb_descriptors,
                m.Image.orb_lists,
                m.Image.orb_quantizer_id,
                m.Image.video_id,
            )
            .join(m.Entry, m.Entry.id == m.Image.entry_id)
            .where(m.Entry.status == "published", m.Image.orb_descriptors.is_not(None))
            .order_by(m.Image.id)
        )
        if entries is not None:
            stmt = stmt.where(m.Image.entry_id.in_(sorted(entries)))
        with self._sessions() as session:
            quantizer = current_quantizer(session)
            current = quantizer.id if quantizer else None
            rows = session.execute(stmt).all()
        images = [
            (entry, image, Features.from_bytes(xy, codes, lists if qid == current else None))
            for entry, image, xy, codes, lists, qid, _ in rows
        ]
        frames = frozenset(row[1] for row in rows if row[6] is not None)
        return FeatureRows(images, quantizer, frames)

    def train_quantizer(self, lists: int, progress: Callable[[int], None]) -> int:
        """Train stage 2's quantizer from the stored descriptors, keep it, refile every image.

        Workers keep searching with what they have until the single version bump at
        the end, then load the new lists without assigning anything themselves.
        Returns the number of images refiled; ``progress`` gets each batch's size.
        """
        centroids = Quantizer.train(self._descriptor_sample(), lists)
        with self._sessions.begin() as session:
            quantizer = save_quantizer(session, centroids)
        with self._sessions() as session:
            stmt = select(m.Image.id).where(m.Image.orb_descriptors.is_not(None))
            ids = list(session.scalars(stmt.order_by(m.Image.id)))
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            with self._sessions.begin() as session:
                rows = session.scalars(
                    select(m.Image)
                    .where(m.Image.id.in_(batch))
                    .options(undefer(m.Image.orb_descriptors))
                )
                for image in rows:
                    file_keypoints(image, quantizer)
            progress(len(batch))
        with self._sessions.begin() as session:
            index_changed(session, None)
        return len(ids)

    def _descriptor_sample(self, target: int = 1_000_000) -> np.ndarray:
        """About ``target`` descriptors drawn evenly from every stored image (seeded)."""
        having = m.Image.orb_descriptors.is_not(None)
        with self._sessions() as session:
            images = session.scalar(select(func.count()).select_from(m.Image).where(having))
            per_image = max(1, -(-target // max(1, images or 0)))
            rng = np.random.default_rng(0)
            parts = []
            stmt = select(m.Image.orb_descriptors).where(having)
            for blob in session.scalars(stmt.execution_options(yield_per=1000)):
                descriptors = np.frombuffer(blob, np.uint8).reshape(-1, 32)
                take = min(per_image, len(descriptors))
                parts.append(descriptors[rng.choice(len(descriptors), take, replace=False)])
        return np.concatenate(parts) if parts else np.zeros((0, 32), np.uint8)

    def fingerprints(
        self,
        since: int,
        at: int | None,
        after: int,
        limit: int,
        variants: Collection[str] | None = CORE_VARIANTS,
    ) -> FingerprintPage:
        """What a device needs to bring its copy of the bank from change ``since`` to
        change ``at`` (None: the latest), ``limit`` entries at a time after entry ``after``.

        Changes come from ``index_changes``, so a device downloads only the entries that
        changed; a reindex (a change of everything), a device ahead of this bank (which
        was rebuilt) or ``since`` 0 get the whole bank with ``reset``. ``variants`` limits
        the hashes to those names (None: all of them).
        """
        with self._sessions() as session:
            if at is None:
                at = session.scalar(select(func.max(m.IndexChange.id))) or 0
            reset = since <= 0 or since > at
            changed: list[int] = []
            if not reset:
                rows = session.execute(
                    select(m.IndexChange.entry_id, m.IndexChange.negatives).where(
                        m.IndexChange.id > since, m.IndexChange.id <= at
                    )
                ).all()
                reset = any(row.entry_id is None and not row.negatives for row in rows)
                changed = sorted({row.entry_id for row in rows if row.entry_id is not None})
            if reset:
                candidates = list(
                    session.scalars(
                        select(m.Entry.id)
                        .where(m.Entry.status == "published", m.Entry.id > after)
                        .order_by(m.Entry.id)
                        .limit(limit + 1)
                    )
                )
            else:
                candidates = [entry for entry in changed if entry > after][: limit + 1]
            page = candidates[:limit]
            images = session.execute(
                select(
                    m.Image.entry_id,
                    m.Image.id,
                    m.Image.pdq_codes,
                    m.Image.pdq_variants,
                    m.Image.frame_time_s,
                )
                .join(m.Entry, m.Entry.id == m.Image.entry_id)
                .where(
                    m.Entry.status == "published",
                    m.Image.entry_id.in_(page),
                    m.Image.pdq_codes.is_not(None),
                )
                .order_by(m.Image.entry_id, m.Image.id)
            ).all()
        grouped: dict[int, list[FingerprintImage]] = {}
        for entry_id, image_id, codes, names, frame_time in images:
            chosen = [
                codes[32 * i : 32 * i + 32]
                for i, name in enumerate(names.split(","))
                if variants is None or name in variants
            ]
            if chosen:
                grouped.setdefault(entry_id, []).append(
                    FingerprintImage(image_id, b"".join(chosen), frame_time)
                )
        return FingerprintPage(
            version=at,
            reset=reset,
            entries=sorted(grouped.items()),
            deleted=[] if reset else [entry for entry in page if entry not in grouped],
            after=page[-1] if len(candidates) > limit else None,
        )

    def counts(self) -> dict[str, int]:
        with self._sessions() as session:
            return {
                "entries": session.scalar(
                    select(func.count()).select_from(m.Entry).where(m.Entry.status == "published")
                )
                or 0,
                "images": session.scalar(select(func.count()).select_from(m.Image)) or 0,
            }

    def ping(self) -> bool:
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - health reports any failure as "down"
            return False

    @staticmethod
    def _entry_for_sha256(session: Session, sha256: str) -> int | None:
        return session.scalar(select(m.Image.entry_id).where(m.Image.sha256 == sha256))


def insert_entry(session: Session, fields: EntryFields, images: list[NewImage]) -> m.Entry:
    """Add an entry with its images inside the caller's transaction (and bump the version)."""
    for image in images:
        existing = session.scalar(
            select(m.Image.entry_id).where(m.Image.sha256 == image.fingerprint.sha256)
        )
        if existing is not None:
            raise DuplicateImage(existing)
    entry = m.Entry(**_entry_columns(fields))
    entry.appearances = [m.Appearance(**link_row(a)) for a in fields.appearances]
    entry.sources = [m.Source(**link_row(s)) for s in fields.sources]
    quantizer = filing_quantizer(session)
    entry.images = [image_row(image, quantizer) for image in images]
    session.add(entry)
    session.flush()
    index_changed(session, entry.id)
    add_frames(session, zip(entry.images, images, strict=True))
    return entry


def video_out(row: m.Video) -> VideoOut:
    return VideoOut(
        id=row.id,
        entry_id=row.entry_id,
        role=row.role,
        status=row.status,
        progress=row.progress,
        error=row.error,
        duration_s=row.duration_s,
        width=row.width,
        height=row.height,
        frames=row.frames,
        poster_url=f"/videos/{row.id}/poster.jpg" if row.status == "done" else None,
        source_url=row.source_url,
    )


def entry_out(row: m.Entry) -> EntryOut:
    """Shape an ORM entry as the API's annotation (paths are made absolute by views)."""
    return EntryOut(
        id=row.id,
        title=row.title,
        category=row.category,
        category_label=CATEGORY_LABELS[row.category],
        claim=row.claim,
        claim_date=row.claim_date,
        rating=row.rating,
        origin={
            "description": row.origin_description,
            "url": row.origin_url,
            "author": row.origin_author,
            "date": row.origin_date,
        },
        appearances=[
            {
                "url": a.url,
                "date": a.date,
                "publisher": a.publisher,
                "language": a.language,
                "claim": a.claim,
            }
            for a in row.appearances
        ],
        sources=[
            {"url": s.url, "publisher": s.publisher, "date": s.date, "title": s.title}
            for s in row.sources
        ],
        status=row.status,
        demo=row.demo,
        url=f"/entries/{row.id}",
        images=[
            {
                "id": image.id,
                "role": image.role,
                "width": image.width,
                "height": image.height,
                "pdq": image.pdq,
                "thumbnail_url": f"/images/{image.id}/thumbnail.jpg",
                "provenance": json.loads(image.provenance) if image.provenance else None,
            }
            for image in row.images
            if image.video_id is None
        ],
        videos=[video_out(video) for video in row.videos],
        created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at),
        version=row.version,
    )


def _searched(stmt, query: str | None):  # type: ignore[no-untyped-def]
    """``stmt`` narrowed to entries whose title, claim or origin contain ``query``."""
    if not query:
        return stmt
    needle = f"%{query.lower()}%"
    columns = (m.Entry.title, m.Entry.claim, m.Entry.origin_description)
    return stmt.where(or_(*(func.lower(column).like(needle) for column in columns)))


def _entries():  # type: ignore[no-untyped-def]
    return select(m.Entry).options(
        selectinload(m.Entry.images).load_only(
            m.Image.id,
            m.Image.role,
            m.Image.width,
            m.Image.height,
            m.Image.pdq,
            m.Image.sha256,
            m.Image.provenance,
            m.Image.video_id,
        ),
        selectinload(m.Entry.videos),
        selectinload(m.Entry.appearances),
        selectinload(m.Entry.sources),
    )


def _entry_columns(fields: EntryFields) -> dict[str, object]:
    columns = set(EntryFields.model_fields) - {"origin", "appearances", "sources"}
    data = fields.model_dump(mode="python", include=columns)
    origin = fields.origin
    data.update(
        origin_description=origin.description,
        origin_url=str(origin.url) if origin.url else None,
        origin_author=origin.author,
        origin_date=origin.date,
    )
    return data


def link_row(item: BaseModel) -> dict[str, object]:
    """Column values of a link item: dates stay dates, URLs become strings."""
    data = item.model_dump()
    data["url"] = str(data["url"])
    return data


def image_row(image: NewImage, quantizer: Quantizer | None) -> m.Image:
    """A new image row; its keypoints are filed under ``quantizer`` when there is one."""
    fp = image.fingerprint
    return m.Image(
        role=image.role,
        sha256=fp.sha256,
        width=fp.width,
        height=fp.height,
        format=fp.format,
        pdq=fp.pdq,
        pdq_quality=fp.quality,
        phash=fp.phash,
        dhash=fp.dhash,
        source_url=image.source_url,
        thumbnail=image.thumbnail,
        work_jpeg=image.work_jpeg,
        regions=regions_column(fp),
        text=image.text,
        provenance=image.provenance,
        **pdq_columns(fp),
        **(orb_columns(image.features, quantizer) if image.features else {}),
    )


def negative_row(kind: str, image: NewImage, *, note: str = "", created_by: str = "") -> m.Negative:
    """A new row of the negative bank from a prepared image (``references.prepare``)."""
    fp = image.fingerprint
    return m.Negative(
        kind=kind,
        note=note,
        sha256=fp.sha256,
        source_url=image.source_url,
        width=fp.width,
        height=fp.height,
        thumbnail=image.thumbnail,
        work_jpeg=image.work_jpeg,
        regions=regions_column(fp),
        created_by=created_by,
        **pdq_columns(fp),
        **(_orb(image.features) if image.features else {}),
    )


def add_frames(session: Session, stored: Iterable[tuple[m.Image, NewImage]]) -> None:
    """Keep the frames of copies cut to their picture as negative material, in the
    caller's transaction (once the images have their ids)."""
    frames = [(row, image) for row, image in stored if image.frame is not None]
    for row, image in frames:
        session.execute(delete(m.Negative).where(m.Negative.image_id == row.id))
        fp = image.fingerprint
        session.add(
            m.Negative(
                kind="frame",
                note="The frame around a stored copy's picture",
                image_id=row.id,
                width=fp.width,
                height=fp.height,
                created_by="automatic",
                **_orb(image.frame),  # type: ignore[arg-type]
            )
        )
    if frames:
        negatives_changed(session)


def _orb(features: Features) -> dict[str, bytes]:
    xy, descriptors = features.to_bytes()
    return {"orb_xy": xy, "orb_descriptors": descriptors}


def _hashes(codes: bytes | None, variants: str | None) -> list[tuple[str, bytes]]:
    if not codes or not variants:
        return []
    return [(name, codes[32 * k : 32 * k + 32]) for k, name in enumerate(variants.split(","))]


def regions_column(fp: Fingerprint) -> str | None:
    return json.dumps({name: list(box) for name, box in fp.boxes.items()}) if fp.boxes else None


def pdq_columns(fp: Fingerprint) -> dict[str, object]:
    """An image's indexed hashes as its two columns: codes end to end, names by commas."""
    return {
        "pdq_codes": b"".join(code for _, code in fp.hashes),
        "pdq_variants": ",".join(name for name, _ in fp.hashes),
    }


def orb_columns(features: Features, quantizer: Quantizer | None) -> dict[str, object]:
    """An image's keypoint columns, with list numbers when a quantizer is stored."""
    xy, descriptors = features.to_bytes()
    lists = quantizer.assign(features.descriptors).tobytes() if quantizer else None
    return {
        "orb_xy": xy,
        "orb_descriptors": descriptors,
        "orb_lists": lists,
        "orb_quantizer_id": quantizer.id if quantizer else None,
    }


def filing_quantizer(session: Session) -> Quantizer | None:
    """The quantizer new keypoints are filed under; trains the first one when it is due.

    Past ``IVF_ABOVE`` stored descriptors (~100 images) the descriptor index is an IVF
    whose list numbers should be computed once per image, not by every worker at every
    reload. The first quantizer is trained in the write that finds the bank past that
    line (0.7 s at that size), and every stored image is filed under it.
    ``flask train-quantizer`` retrains from a grown bank.
    """
    quantizer = current_quantizer(session)
    if quantizer is not None:
        return quantizer
    having = m.Image.orb_descriptors.is_not(None)
    size = select(func.coalesce(func.sum(func.length(m.Image.orb_descriptors)), 0)).where(having)
    if (session.scalar(size) or 0) // 32 <= IVF_ABOVE:
        return None
    rows = session.scalars(select(m.Image).where(having).options(undefer(m.Image.orb_descriptors)))
    images = list(rows)
    sample = np.concatenate([np.frombuffer(r.orb_descriptors or b"", np.uint8) for r in images])
    try:
        centroids = Quantizer.train(sample.reshape(-1, 32))
    except ValueError:  # too few distinct keypoints yet (near-identical images): later
        return None
    quantizer = save_quantizer(session, centroids)
    for image in images:
        file_keypoints(image, quantizer)
    index_changed(session, None)  # every image's list numbers moved
    return quantizer


def save_quantizer(session: Session, centroids: np.ndarray) -> Quantizer:
    row = m.FeatureQuantizer(centroids=np.ascontiguousarray(centroids, np.uint8).tobytes())
    session.add(row)
    session.flush()
    return Quantizer(row.id, centroids)


def file_keypoints(image: m.Image, quantizer: Quantizer) -> None:
    """Store the list number of each of a stored image's descriptors under ``quantizer``."""
    descriptors = np.frombuffer(image.orb_descriptors or b"", np.uint8).reshape(-1, 32)
    image.orb_lists = quantizer.assign(descriptors).tobytes()
    image.orb_quantizer_id = quantizer.id


def current_quantizer(session: Session) -> Quantizer | None:
    """The newest stored quantizer of stage 2's descriptor index, if one was trained."""
    stmt = select(m.FeatureQuantizer).order_by(m.FeatureQuantizer.id.desc()).limit(1)
    row = session.scalars(stmt).first()
    if row is None:
        return None
    return Quantizer(row.id, np.frombuffer(row.centroids, np.uint8).reshape(-1, 32))


def bump_version(session: Session) -> None:
    """Mark a change in the caller's transaction: every worker's cached verdicts go stale.

    Alone, for changes that leave hashes, keypoints and statuses as they were (an
    entry's text): workers keep their indexes. Anything else calls ``index_changed``.
    """
    stmt = update(m.Meta).where(m.Meta.key == "index_version").values(value=m.Meta.value + 1)
    session.execute(stmt)


def index_changed(session: Session, entry_id: int | None) -> None:
    """Mark, in the caller's transaction, that ``entry_id``'s images or status changed
    (None: everything did), so workers reload it; cached verdicts go stale too.

    The version's row lock is taken first and held to the commit, so concurrent
    writers number their changes in the order they commit: a worker that has read
    change 11 can never later see a change 10 appear.
    """
    bump_version(session)
    session.add(m.IndexChange(entry_id=entry_id))


def negatives_changed(session: Session) -> None:
    """Mark, in the caller's transaction, that the negative bank changed: workers reload
    it (and only it); cached verdicts go stale."""
    bump_version(session)
    session.add(m.IndexChange(entry_id=None, negatives=True))


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite drops the zone on the way back; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def get_store() -> SqlStore:
    return current_app.extensions["origincheck.store"]


def init_app(app: Flask) -> None:
    app.extensions["origincheck.store"] = SqlStore(get_engine(app), app.config["STORE_TIMEOUT"])
