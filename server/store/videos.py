"""Reference videos: the file until it is indexed, the indexing's progress, its frames.

A video's frames join the index in one transaction when indexing ends (never a
half-indexed video that matches some frames), as image rows of the entry that carry
``video_id`` and ``frame_time_s``. The row is the record of what must be done: a job
that dies leaves it ``pending`` or ``indexing``, and ``overdue`` finds it again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from ..records import VideoOut
from . import models as m
from .db import BoundedSessions, get_engine
from .entries import (
    NewImage,
    add_frames,
    filing_quantizer,
    image_row,
    index_changed,
    video_out,
)
from .moderation import CLI_ACTOR, Actor, NotFound, write_audit

#: A video that failed this many times is left failed (a job library retries too).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class NewVideo:
    role: str
    sha256: str
    data: bytes
    source_url: str | None = None


@dataclass(frozen=True)
class VideoWork:
    """What the indexing job needs: the file and where its frames go."""

    id: int
    entry_id: int
    role: str
    data: bytes
    source_url: str | None


class DuplicateVideo(ValueError):
    def __init__(self, video_id: int) -> None:
        super().__init__(f"video already added as {video_id}")
        self.video_id = video_id


class VideoStore:
    def __init__(self, engine: Engine, timeout: float = 1.5, *, keep_files: bool = False) -> None:
        self._sessions = BoundedSessions(engine, timeout)
        self._keep = keep_files

    def add(self, entry_id: int, video: NewVideo, actor: Actor = CLI_ACTOR) -> int:
        """Queue a video of an entry for indexing (audited); NotFound for no such entry,
        DuplicateVideo if it has the video already."""
        try:
            with self._sessions.begin() as session:
                if session.get(m.Entry, entry_id) is None:
                    raise NotFound(f"entry {entry_id}")
                row = m.Video(
                    entry_id=entry_id,
                    role=video.role,
                    sha256=video.sha256,
                    source_url=video.source_url,
                    data=video.data,
                    size=len(video.data),
                )
                session.add(row)
                session.flush()
                after = {"video": row.id, "role": video.role, "sha256": video.sha256}
                write_audit(session, actor, "add_video", f"entry:{entry_id}", None, after)
                return row.id
        except IntegrityError:
            stmt = select(m.Video.id).where(
                m.Video.entry_id == entry_id, m.Video.sha256 == video.sha256
            )
            with self._sessions() as session:
                existing = session.scalar(stmt)
            if existing is None:
                raise
            raise DuplicateVideo(existing) from None

    def claim(self, video_id: int) -> VideoWork | None:
        """Start (or restart) indexing; None when there is nothing to do any more."""
        with self._sessions.begin() as session:
            row = session.get(m.Video, video_id)
            if row is None or row.status in ("done", "failed") or row.data is None:
                return None
            row.status, row.progress, row.attempts = "indexing", 0.0, row.attempts + 1
            return VideoWork(row.id, row.entry_id, row.role, row.data, row.source_url)

    def set_progress(self, video_id: int, progress: float) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(m.Video)
                .where(m.Video.id == video_id, m.Video.status == "indexing")
                .values(progress=round(min(max(progress, 0.0), 0.99), 3), updated_at=_now())
            )

    def finish(
        self,
        video_id: int,
        frames: list[tuple[float, NewImage]],
        *,
        poster: bytes,
        duration: float,
        width: int,
        height: int,
        codec: str,
    ) -> int:
        """Add every frame to the entry at once and mark the video done; returns how many
        frames were added (one already stored elsewhere, byte for byte, is skipped)."""
        with self._sessions.begin() as session:
            row = session.get(m.Video, video_id)
            if row is None or row.status == "done":
                return 0
            known = set(
                session.scalars(
                    select(m.Image.sha256).where(
                        m.Image.sha256.in_([f.fingerprint.sha256 for _, f in frames])
                    )
                )
            )
            quantizer = filing_quantizer(session)
            pairs = []
            for t, frame in frames:
                if frame.fingerprint.sha256 in known:
                    continue
                known.add(frame.fingerprint.sha256)
                image = image_row(frame, quantizer)
                image.entry_id, image.video_id, image.frame_time_s = row.entry_id, row.id, t
                session.add(image)
                pairs.append((image, frame))
            session.flush()
            add_frames(session, pairs)
            row.status, row.progress, row.error = "done", 1.0, None
            row.frames, row.poster = len(pairs), poster
            row.duration_s, row.width, row.height, row.codec = duration, width, height, codec
            if not self._keep:
                row.data = None
            index_changed(session, row.entry_id)
            return len(pairs)

    def fail(self, video_id: int, reason: str, *, final: bool = True) -> None:
        """Record why indexing stopped; ``final``: do not try again."""
        with self._sessions.begin() as session:
            row = session.get(m.Video, video_id)
            if row is None or row.status == "done":
                return
            row.error = reason[:2000]
            if final or row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                row.data = None
            else:
                row.status = "pending"

    def get(self, video_id: int) -> VideoOut | None:
        with self._sessions() as session:
            row = session.get(m.Video, video_id)
            return video_out(row) if row is not None else None

    def of_entry(self, entry_id: int) -> list[VideoOut]:
        stmt = select(m.Video).where(m.Video.entry_id == entry_id).order_by(m.Video.id)
        with self._sessions() as session:
            return [video_out(row) for row in session.scalars(stmt)]

    def poster(self, video_id: int) -> tuple[bytes, str] | None:
        """A video's poster and its entry's status (as ``SqlStore.thumbnail``)."""
        stmt = (
            select(m.Video.poster, m.Entry.status)
            .join(m.Entry, m.Entry.id == m.Video.entry_id)
            .where(m.Video.id == video_id, m.Video.poster.is_not(None))
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        return (row[0], row[1]) if row else None

    def entry_for_sha256(self, sha256: str) -> int | None:
        """The entry that has a video with these exact bytes (imports are idempotent)."""
        stmt = select(m.Video.entry_id).where(m.Video.sha256 == sha256).limit(1)
        with self._sessions() as session:
            return session.scalar(stmt)

    def frames_of(self, image_ids: list[int]) -> dict[int, tuple[int, float]]:
        """For matched images that are video frames: image id → (video id, seconds)."""
        if not image_ids:
            return {}
        stmt = select(m.Image.id, m.Image.video_id, m.Image.frame_time_s).where(
            m.Image.id.in_(image_ids), m.Image.video_id.is_not(None)
        )
        with self._sessions() as session:
            return {i: (v, float(t or 0.0)) for i, v, t in session.execute(stmt)}

    def overdue(self, older_than: float) -> list[int]:
        """Videos whose indexing should have moved by now (a killed job, a lost queue)."""
        cutoff = _now() - dt.timedelta(seconds=older_than)
        stmt = select(m.Video.id).where(
            m.Video.status.in_(("pending", "indexing")), m.Video.updated_at < cutoff
        )
        with self._sessions() as session:
            return list(session.scalars(stmt))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def get_videos() -> VideoStore:
    return current_app.extensions["origincheck.videos"]


def init_app(app: Flask) -> None:
    app.extensions["origincheck.videos"] = VideoStore(
        get_engine(app), app.config["STORE_TIMEOUT"], keep_files=app.config["VIDEO_KEEP"]
    )


__all__ = ["DuplicateVideo", "NewVideo", "VideoStore", "VideoWork", "get_videos"]
