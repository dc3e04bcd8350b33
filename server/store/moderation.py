"""Storage for the people side: accounts, tokens, submissions, review actions, audit, feedback.

Every write that a person makes records an audit event (who, when, what, the state
before and after) in the same transaction, so the log can never miss a change or
describe one that did not happen. Changes that affect matching (approve, merge,
status changes) record ``index_changed`` exactly like the entry store does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer
from werkzeug.security import check_password_hash, generate_password_hash

from ..records import STATUSES, EntryFields, EntryPatch, NegativeIn, NegativeOut, SubmissionIn
from . import models as m
from .db import BoundedSessions, get_engine
from .entries import (
    DuplicateImage,
    NewImage,
    add_frames,
    bump_version,
    entry_out,
    filing_quantizer,
    image_row,
    index_changed,
    insert_entry,
    link_row,
    negative_row,
    negatives_changed,
)

ROLE_RANK = {"volunteer": 1, "moderator": 2, "admin": 3}


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, an API token, or the command line."""

    label: str
    role: str
    user_id: int | None = None

    def can(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


CLI_ACTOR = Actor(label="cli", role="admin")


@dataclass(frozen=True)
class Merged:
    """What a merge added, so that the moderator is told the truth: the same bytes are
    stored once, so a report of a known file adds its appearance and words, not an image."""

    image_added: bool
    appearance_added: bool


class VersionConflict(Exception):
    """The entry changed since the editor loaded it; carries what it is now."""

    def __init__(self, current: dict[str, Any]) -> None:
        super().__init__("entry changed since it was loaded")
        self.current = current


class NotFound(LookupError):
    pass


class LastAdmin(ValueError):
    """The change would leave no active admin to manage accounts."""


class IdempotencyConflict(ValueError):
    """An Idempotency-Key already used for a different image."""

    def __init__(self, submission_id: int) -> None:
        super().__init__(f"the key was already used for submission {submission_id}")
        self.submission_id = submission_id


class InvalidState(ValueError):
    pass


class DuplicateNegative(ValueError):
    """The bytes are already in the negative bank (as item ``negative_id``)."""

    def __init__(self, negative_id: int) -> None:
        super().__init__(f"already in the negative bank as item {negative_id}")
        self.negative_id = negative_id


class ModerationStore:
    def __init__(self, engine: Engine, timeout: float = 1.5) -> None:
        self._sessions = BoundedSessions(engine, timeout)

    # --- accounts -------------------------------------------------------------

    def create_user(
        self, email: str, name: str, password: str, role: str, actor: Actor = CLI_ACTOR
    ) -> int:
        if role not in ROLE_RANK:
            raise ValueError(f"unknown role {role!r}")
        with self._sessions.begin() as session:
            user = m.User(
                email=email.strip().lower(),
                name=name,
                password_hash=generate_password_hash(password),
                role=role,
            )
            session.add(user)
            session.flush()
            write_audit(session, actor, "create_user", f"user:{user.id}", None, _user_state(user))
            return user.id

    def invite_user(self, email: str, name: str, role: str, actor: Actor, days: int) -> str:
        """An account that its owner opens with a password of their own, through the link
        of the returned token (kept only hashed, working for ``days``)."""
        if role not in ROLE_RANK:
            raise ValueError(f"unknown role {role!r}")
        token = secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            user = m.User(
                email=email.strip().lower(),
                name=name,
                # No password works until the invitation is taken.
                password_hash=generate_password_hash(secrets.token_hex(32)),
                role=role,
                invite_sha256=_sha256(token),
                invite_expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=days),
            )
            session.add(user)
            session.flush()
            write_audit(session, actor, "invite_user", f"user:{user.id}", None, _user_state(user))
        return token

    def invited(self, token: str) -> m.User | None:
        """The account an invitation link opens, while it works."""
        stmt = select(m.User).where(m.User.invite_sha256 == _sha256(token))
        with self._sessions() as session:
            user = session.scalar(stmt)
        if user is None or not user.active or user.invite_expires_at is None:
            return None
        return user if _aware(user.invite_expires_at) > dt.datetime.now(dt.UTC) else None

    def accept_invite(self, token: str, name: str, password: str) -> m.User:
        """Take an invitation: the owner's password and name; the link stops working."""
        invited = self.invited(token)
        if invited is None:
            raise NotFound("invitation")
        with self._sessions.begin() as session:
            user = session.get(m.User, invited.id, with_for_update=True)
            if user is None or user.invite_sha256 != _sha256(token):
                raise NotFound("invitation")  # taken meanwhile
            before = _user_state(user)
            user.name = name.strip() or user.name
            user.password_hash = generate_password_hash(password)
            user.invite_sha256 = user.invite_expires_at = None
            session.flush()
            actor = Actor(f"user:{user.id} {user.name}", user.role, user.id)
            write_audit(
                session, actor, "accept_invite", f"user:{user.id}", before, _user_state(user)
            )
            session.expunge(user)
            return user

    def set_role(self, email: str, role: str, actor: Actor) -> None:
        """Change a role; the account's sign-ins end (they carried the old one)."""
        if role not in ROLE_RANK:
            raise ValueError(f"unknown role {role!r}")
        self._change_user(email, actor, "set_role", role=role)

    def set_active(self, email: str, active: bool, actor: Actor) -> None:
        """Deactivate (every sign-in ends at once) or reactivate an account."""
        self._change_user(email, actor, "activate" if active else "deactivate", active=active)

    def set_password(self, email: str, password: str, actor: Actor) -> None:
        """A new password (an admin's reset or the CLI); every sign-in of the account ends."""
        self._change_user(
            email, actor, "set_password", password_hash=generate_password_hash(password)
        )

    def _change_user(self, email: str, actor: Actor, action: str, **values: object) -> None:
        with self._sessions.begin() as session:
            user = session.scalar(
                select(m.User).where(m.User.email == email.strip().lower()).with_for_update()
            )
            if user is None:
                raise NotFound(email)
            before = _user_state(user)
            for key, value in values.items():
                setattr(user, key, value)
            session.flush()
            if before["role"] == "admin" and before["active"] and not self._admins_left(session):
                raise LastAdmin("at least one active admin must remain")
            session.execute(delete(m.LoginSession).where(m.LoginSession.user_id == user.id))
            write_audit(session, actor, action, f"user:{user.id}", before, _user_state(user))

    @staticmethod
    def _admins_left(session: Session) -> int:
        stmt = select(func.count()).where(m.User.role == "admin", m.User.active.is_(True))
        return session.scalar(stmt.select_from(m.User)) or 0

    def user(self, user_id: int) -> m.User | None:
        with self._sessions() as session:
            return session.get(m.User, user_id)

    def users(self) -> list[m.User]:
        with self._sessions() as session:
            return list(session.scalars(select(m.User).order_by(m.User.id)))

    def authenticate(self, email: str, password: str) -> m.User | None:
        """The active account with this email and password, else None.

        An unknown email is checked against a dummy hash, so a wrong email takes as long
        as a wrong password and the answer time does not tell which accounts exist.
        """
        with self._sessions() as session:
            user = session.scalar(select(m.User).where(m.User.email == email.strip().lower()))
        stored = user.password_hash if user else _DUMMY_HASH
        if check_password_hash(stored, password) and user is not None and user.active:
            return user
        return None

    # --- sign-ins (server-side, so they can be ended) -------------------------

    def start_session(self, user_id: int) -> str:
        """A new sign-in; the returned token goes into the signed cookie, its hash here."""
        token = secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            session.add(m.LoginSession(user_id=user_id, token_sha256=_sha256(token)))
        return token

    def session_user(self, user_id: int, token: str, max_age: float) -> m.User | None:
        """The signed-in account, if the sign-in still exists, is young enough and the
        account is active."""
        oldest = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=max_age)
        stmt = (
            select(m.User)
            .join(m.LoginSession, m.LoginSession.user_id == m.User.id)
            .where(
                m.User.id == user_id,
                m.User.active.is_(True),
                m.LoginSession.token_sha256 == _sha256(token),
                m.LoginSession.created_at >= oldest,
            )
        )
        with self._sessions() as session:
            return session.scalar(stmt)

    def end_session(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                delete(m.LoginSession).where(m.LoginSession.token_sha256 == _sha256(token))
            )

    # --- API tokens -----------------------------------------------------------

    def create_token(self, name: str, role: str, days: int | None, actor: Actor = CLI_ACTOR) -> str:
        """A new Bearer token, shown once; only its hash is kept. ``days`` None: no expiry."""
        if role not in ROLE_RANK:
            raise ValueError(f"unknown role {role!r}")
        token = "oc_" + secrets.token_urlsafe(32)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=days) if days else None
        with self._sessions.begin() as session:
            row = m.ApiToken(name=name, role=role, token_sha256=_sha256(token), expires_at=expires)
            session.add(row)
            session.flush()
            write_audit(session, actor, "create_token", f"token:{row.id}", None, _token_state(row))
        return token

    def tokens(self) -> list[m.ApiToken]:
        with self._sessions() as session:
            return list(session.scalars(select(m.ApiToken).order_by(m.ApiToken.id)))

    def revoke_token(self, token_id: int, actor: Actor) -> None:
        with self._sessions.begin() as session:
            row = session.get(m.ApiToken, token_id)
            if row is None:
                raise NotFound(token_id)
            before = _token_state(row)
            row.revoked_at = row.revoked_at or dt.datetime.now(dt.UTC)
            write_audit(
                session, actor, "revoke_token", f"token:{row.id}", before, _token_state(row)
            )

    def actor_for_token(self, token: str) -> Actor | None:
        with self._sessions() as session:
            row = session.scalar(
                select(m.ApiToken).where(m.ApiToken.token_sha256 == _sha256(token))
            )
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and _aware(row.expires_at) < dt.datetime.now(dt.UTC):
            return None
        return Actor(label=f"token:{row.id} {row.name}", role=row.role)

    # --- submissions ----------------------------------------------------------

    def add_submission(
        self,
        fields: SubmissionIn,
        image: NewImage,
        data: bytes,
        actor: Actor | None,
        idempotency_key: str | None = None,
        video: bytes | None = None,
    ) -> int:
        """Queue a report; a retry carrying the same ``idempotency_key`` gets the first id.

        Raises ``IdempotencyConflict`` when the key was first used for another image.
        """
        if idempotency_key is not None:
            known = self._by_idempotency_key(idempotency_key, image.fingerprint.sha256)
            if known is not None:
                return known
        try:
            return self._insert_submission(fields, image, data, actor, idempotency_key, video)
        except IntegrityError:
            # The same key committed by a concurrent retry between the look-up and here.
            known = self._by_idempotency_key(idempotency_key, image.fingerprint.sha256)
            if known is None:
                raise
            return known

    def submission_for_key(self, key: str) -> int | None:
        """The report first sent with this idempotency key, if any."""
        stmt = select(m.Submission.id).where(m.Submission.idempotency_key == key)
        with self._sessions() as session:
            return session.scalar(stmt)

    def _by_idempotency_key(self, key: str | None, sha256: str) -> int | None:
        stmt = select(m.Submission.id, m.Submission.sha256).where(
            m.Submission.idempotency_key == key
        )
        with self._sessions() as session:
            row = session.execute(stmt).first()
        if row is None:
            return None
        if row.sha256 != sha256:
            raise IdempotencyConflict(row.id)
        return row.id

    def _insert_submission(
        self,
        fields: SubmissionIn,
        image: NewImage,
        data: bytes,
        actor: Actor | None,
        idempotency_key: str | None,
        video: bytes | None = None,
    ) -> int:
        with self._sessions.begin() as session:
            row = m.Submission(
                idempotency_key=idempotency_key,
                submitter_id=actor.user_id if actor else None,
                submitter_label=actor.label if actor else "anonymous",
                claim=fields.claim,
                language=fields.language,
                notify_email=fields.notify_email,
                seen_url=_str(fields.seen_url),
                seen_date=fields.seen_date,
                origin_url=_str(fields.origin_url),
                origin_description=fields.origin_description,
                origin_author=fields.origin_author,
                origin_date=fields.origin_date,
                evidence_urls=json.dumps([str(u) for u in fields.evidence_urls]),
                notes=fields.notes,
                image_url=_str(fields.image_url),
                image=data,
                video=video,
                image_size=len(data) + len(video or b""),
                sha256=image.fingerprint.sha256,
                pdq=image.fingerprint.pdq,
                thumbnail=image.thumbnail,
                provenance=image.provenance,
            )
            session.add(row)
            session.flush()
            write_audit(
                session,
                actor or Actor("anonymous", "none"),
                "submit",
                f"submission:{row.id}",
                None,
                _submission_state(row),
            )
            return row.id

    def submission(self, submission_id: int, *, with_image: bool = False) -> m.Submission:
        with self._sessions() as session:
            stmt = select(m.Submission).where(m.Submission.id == submission_id)
            if with_image:
                stmt = stmt.options(undefer(m.Submission.image))
            row = session.scalar(stmt)
            if row is None:
                raise NotFound(submission_id)
            return row

    def video_of(self, submission_id: int) -> bytes | None:
        """The report's video file, when it is a video (its ``image`` is its first frame)."""
        stmt = select(m.Submission.video).where(m.Submission.id == submission_id)
        with self._sessions() as session:
            return session.scalar(stmt)

    def video_size(self, submission_id: int) -> int:
        stmt = select(func.coalesce(func.length(m.Submission.video), 0)).where(
            m.Submission.id == submission_id
        )
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    def thumbnail(self, submission_id: int) -> bytes:
        with self._sessions() as session:
            data = session.scalar(
                select(m.Submission.thumbnail).where(m.Submission.id == submission_id)
            )
        if data is None:
            raise NotFound(submission_id)
        return data

    def submissions(
        self,
        statuses: list[str],
        *,
        submitter_id: int | None = None,
        limit: int = 200,
        after: int | None = None,
    ) -> list[m.Submission]:
        """Oldest first (by id, which follows arrival), ``limit`` from after id ``after``.

        Rows only: images stay in the database (deferred columns), so a page of the
        queue costs the same with ten or ten thousand reports waiting.
        """
        stmt = select(m.Submission).where(m.Submission.status.in_(statuses))
        if submitter_id is not None:
            stmt = stmt.where(m.Submission.submitter_id == submitter_id)
        if after is not None:
            stmt = stmt.where(m.Submission.id > after)
        with self._sessions() as session:
            return list(session.scalars(stmt.order_by(m.Submission.id).limit(limit)))

    def count_submissions(self, statuses: list[str]) -> int:
        stmt = select(func.count()).where(m.Submission.status.in_(statuses))
        with self._sessions() as session:
            return session.scalar(stmt.select_from(m.Submission)) or 0

    def open_image_bytes(self) -> int:
        """Bytes of images held for open reports (the quota counts these)."""
        stmt = select(func.coalesce(func.sum(m.Submission.image_size), 0)).where(
            m.Submission.status.in_(("pending", "needs_info"))
        )
        with self._sessions() as session:
            return int(session.scalar(stmt) or 0)

    # --- background analysis (candidates, found once) -------------------------

    def begin_analysis(self, submission_id: int) -> m.Submission | None:
        """The report with its image, marked as being analysed; None if it is closed."""
        with self._sessions.begin() as session:
            sub = session.scalar(
                select(m.Submission)
                .where(m.Submission.id == submission_id)
                .options(undefer(m.Submission.image))
            )
            if sub is None:
                return None
            sub.analysis, sub.analysis_at = "running", dt.datetime.now(dt.UTC)
            return sub

    def save_analysis(self, submission_id: int, candidates: dict[str, Any] | None) -> None:
        """Store what the report looks like (None: it could not be analysed).

        Likeness between reports goes both ways: each report this one looks like gets it
        added to its own list, since that one may have been analysed before this arrived.
        """
        with self._sessions.begin() as session:
            sub = session.get(m.Submission, submission_id)
            if sub is None:
                return
            sub.candidates = json.dumps(candidates) if candidates is not None else None
            sub.analysis = "done" if candidates is not None else "failed"
            sub.analysis_at = dt.datetime.now(dt.UTC)
            for similar in (candidates or {}).get("submissions", []):
                other = session.get(m.Submission, similar["submission_id"])
                if other is None or not other.candidates:
                    continue
                theirs = json.loads(other.candidates)
                listed = {s["submission_id"] for s in theirs.get("submissions", [])}
                if submission_id not in listed:
                    mine = {"submission_id": submission_id, "distance": similar["distance"]}
                    theirs["submissions"] = sorted(
                        [*theirs.get("submissions", []), mine], key=lambda s: s["distance"]
                    )
                    other.candidates = json.dumps(theirs)

    def overdue_analyses(self, older_than: float, limit: int = 500) -> list[int]:
        """Open reports whose analysis never ran, or started long ago and never ended."""
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=older_than)
        stmt = (
            select(m.Submission.id)
            .where(
                m.Submission.status.in_(("pending", "needs_info")),
                ((m.Submission.analysis == "pending") & (m.Submission.created_at < cutoff))
                | ((m.Submission.analysis == "running") & (m.Submission.analysis_at < cutoff)),
            )
            .order_by(m.Submission.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return list(session.scalars(stmt))

    def open_submissions_pdq(self) -> list[tuple[int, str]]:
        stmt = select(m.Submission.id, m.Submission.pdq).where(
            m.Submission.status.in_(("pending", "needs_info"))
        )
        with self._sessions() as session:
            return [(row[0], row[1]) for row in session.execute(stmt)]

    # --- review ---------------------------------------------------------------

    def approve(
        self, submission_id: int, fields: EntryFields, image: NewImage, actor: Actor
    ) -> int:
        stored = select(m.Image.entry_id).where(m.Image.sha256 == image.fingerprint.sha256)
        with self._same_bytes_as(stored, DuplicateImage):
            return self._approve(submission_id, fields, image, actor)

    def merge(self, submission_id: int, entry_id: int, image: NewImage, actor: Actor) -> Merged:
        """Add the submitted image as a variant, and where it was seen as an appearance
        with the reporter's words and language."""
        stored = select(m.Image.entry_id).where(m.Image.sha256 == image.fingerprint.sha256)
        with self._same_bytes_as(stored, DuplicateImage):
            return self._merge(submission_id, entry_id, image, actor)

    @contextmanager
    def _same_bytes_as(
        self, stored: Select[Any], error: Callable[[int], Exception]
    ) -> Iterator[None]:
        """Two writers storing the same bytes at once (two moderators, two retries) both
        pass the look-up; the unique index stops the second, which is told where the
        bytes are (``error`` of what ``stored`` finds: a 409) rather than a 500."""
        try:
            yield
        except IntegrityError:
            with self._sessions() as session:
                known = session.scalar(stored)
            if known is None:
                raise
            raise error(known) from None

    def _approve(
        self, submission_id: int, fields: EntryFields, image: NewImage, actor: Actor
    ) -> int:
        with self._sessions.begin() as session:
            sub = self._open(session, submission_id)
            before = _submission_state(sub)
            entry = insert_entry(session, fields, [image])
            sub.status, sub.entry_id, sub.reviewed_by = "approved", entry.id, actor.label
            write_audit(
                session, actor, "approve", f"submission:{sub.id}", before, _submission_state(sub)
            )
            write_audit(
                session, actor, "create", f"entry:{entry.id}", None, _entry_state(session, entry.id)
            )
            return entry.id

    def _merge(self, submission_id: int, entry_id: int, image: NewImage, actor: Actor) -> Merged:
        with self._sessions.begin() as session:
            sub = self._open(session, submission_id)
            entry = session.get(m.Entry, entry_id)
            if entry is None:
                raise NotFound(entry_id)
            before_sub, before_entry = _submission_state(sub), _entry_state(session, entry_id)
            known = session.scalar(
                select(m.Image.entry_id).where(m.Image.sha256 == image.fingerprint.sha256)
            )
            if known is None:
                row = image_row(image, filing_quantizer(session))
                row.role = "variant"
                entry.images.append(row)
                session.flush()
                add_frames(session, [(row, image)])
            seen = sub.seen_url is not None and all(
                a.url != sub.seen_url for a in entry.appearances
            )
            if seen:
                claim = sub.claim.strip() or None
                entry.appearances.append(
                    m.Appearance(
                        url=sub.seen_url,
                        date=sub.seen_date,
                        language=sub.language,
                        claim=claim if claim != entry.claim else None,
                    )
                )
            entry.updated_at = dt.datetime.now(dt.UTC)  # a row change moves the version
            sub.status, sub.entry_id, sub.reviewed_by = "merged", entry_id, actor.label
            session.flush()
            index_changed(session, entry_id)
            write_audit(
                session, actor, "merge", f"submission:{sub.id}", before_sub, _submission_state(sub)
            )
            write_audit(
                session,
                actor,
                "merge_into",
                f"entry:{entry_id}",
                before_entry,
                _entry_state(session, entry_id),
            )
            return Merged(image_added=known is None, appearance_added=seen)

    def reject(self, submission_id: int, reason: str, actor: Actor) -> None:
        self._close(submission_id, "rejected", reason, actor, "reject")

    def request_info(self, submission_id: int, message: str, actor: Actor) -> None:
        self._close(submission_id, "needs_info", message, actor, "request_info")

    def _close(
        self, submission_id: int, status: str, reason: str, actor: Actor, action: str
    ) -> None:
        with self._sessions.begin() as session:
            sub = self._open(session, submission_id)
            before = _submission_state(sub)
            sub.status, sub.reason, sub.reviewed_by = status, reason, actor.label
            write_audit(
                session, actor, action, f"submission:{sub.id}", before, _submission_state(sub)
            )

    @staticmethod
    def _open(session: Session, submission_id: int) -> m.Submission:
        sub = session.get(m.Submission, submission_id)
        if sub is None:
            raise NotFound(submission_id)
        if sub.status not in ("pending", "needs_info"):
            raise InvalidState(f"submission {submission_id} is already {sub.status}")
        return sub

    # --- entries --------------------------------------------------------------

    def edit_entry(self, entry_id: int, version: int, patch: EntryPatch, actor: Actor) -> None:
        """Apply a moderator's edit, refusing it if someone else saved first."""
        with self._sessions.begin() as session:
            entry = session.get(m.Entry, entry_id)
            if entry is None:
                raise NotFound(entry_id)
            before = _entry_state(session, entry_id)
            if entry.version != version:
                raise VersionConflict(entry_out(entry).model_dump(mode="json"))
            changes = patch.model_dump(
                exclude_unset=True, exclude={"origin", "appearances", "sources"}
            )
            for key, value in changes.items():
                setattr(entry, key, value)
            if patch.origin is not None:
                entry.origin_description = patch.origin.description
                entry.origin_url = _str(patch.origin.url)
                entry.origin_author = patch.origin.author
                entry.origin_date = patch.origin.date
            if patch.appearances is not None:
                entry.appearances = [m.Appearance(**link_row(a)) for a in patch.appearances]
            if patch.sources is not None:
                entry.sources = [m.Source(**link_row(s)) for s in patch.sources]
            entry.updated_at = dt.datetime.now(dt.UTC)
            session.flush()  # the version column moves here (optimistic lock)
            bump_version(session)  # text only: no index_changed, so no worker reloads
            write_audit(
                session, actor, "edit", f"entry:{entry_id}", before, _entry_state(session, entry_id)
            )

    # --- an entry's images -------------------------------------------------------

    def add_image(self, entry_id: int, image: NewImage, actor: Actor) -> int:
        """Another image of an entry (an original found later, a copy that circulated)."""
        stored = select(m.Image.entry_id).where(m.Image.sha256 == image.fingerprint.sha256)
        with self._same_bytes_as(stored, DuplicateImage):
            with self._sessions.begin() as session:
                entry = session.get(m.Entry, entry_id)
                if entry is None:
                    raise NotFound(entry_id)
                known = session.scalar(stored)
                if known is not None:
                    raise DuplicateImage(known)
                before = _entry_state(session, entry_id)
                row = image_row(image, filing_quantizer(session))
                entry.images.append(row)
                session.flush()
                add_frames(session, [(row, image)])
                self._changed(session, entry, actor, "add_image", before)
                return row.id

    def remove_image(self, entry_id: int, image_id: int, actor: Actor) -> None:
        """Take an image off an entry; its last still image stays (an entry is a picture)."""
        with self._sessions.begin() as session:
            entry, image = self._image_of(session, entry_id, image_id)
            stills = [i for i in entry.images if i.video_id is None]
            if len(stills) <= 1:
                raise InvalidState("an entry keeps at least one image; add another first")
            before = _entry_state(session, entry_id)
            session.execute(delete(m.Negative).where(m.Negative.image_id == image.id))
            entry.images.remove(image)
            session.flush()
            self._changed(session, entry, actor, "remove_image", before)

    def set_original(self, entry_id: int, image_id: int, actor: Actor) -> None:
        """Make one image the entry's original (the true source); a former original
        becomes a variant."""
        with self._sessions.begin() as session:
            entry, chosen = self._image_of(session, entry_id, image_id)
            before = _entry_state(session, entry_id)
            for image in entry.images:
                if image.video_id is None and image.role == "original" and image is not chosen:
                    image.role = "variant"
            chosen.role = "original"
            session.flush()
            self._changed(session, entry, actor, "set_original", before)

    @staticmethod
    def _image_of(session: Session, entry_id: int, image_id: int) -> tuple[m.Entry, m.Image]:
        entry = session.get(m.Entry, entry_id, with_for_update=True)
        image = session.get(m.Image, image_id)
        if entry is None or image is None or image.entry_id != entry_id or image.video_id:
            raise NotFound(image_id)
        return entry, image

    @staticmethod
    def _changed(
        session: Session, entry: m.Entry, actor: Actor, action: str, before: dict[str, Any]
    ) -> None:
        """An entry's images changed: a new version, every worker reloads it, audited."""
        entry.updated_at = dt.datetime.now(dt.UTC)  # a row change moves the version
        session.flush()
        index_changed(session, entry.id)
        after = _entry_state(session, entry.id)
        write_audit(session, actor, action, f"entry:{entry.id}", before, after)

    def set_entry_status(
        self, entry_id: int, status: str, actor: Actor, reason: str | None = None
    ) -> None:
        """Publish, disable (kill switch) or retract an entry; the reason for taking it
        down is kept for its retraction notice (publishing again clears it)."""
        if status not in STATUSES:
            raise ValueError(status)
        with self._sessions.begin() as session:
            entry = session.get(m.Entry, entry_id)
            if entry is None:
                raise NotFound(entry_id)
            before = _entry_state(session, entry_id)
            entry.status = status
            entry.status_reason = (reason or "").strip() or None if status != "published" else None
            session.flush()
            index_changed(session, entry_id)
            write_audit(
                session,
                actor,
                status_action(status),
                f"entry:{entry_id}",
                before,
                _entry_state(session, entry_id),
            )

    def submissions_of_entry(self, entry_id: int) -> list[m.Submission]:
        """The reports approved as or merged into an entry, oldest first: each keeps its
        reporter's claim and language, so a merge loses none of them."""
        stmt = (
            select(m.Submission).where(m.Submission.entry_id == entry_id).order_by(m.Submission.id)
        )
        with self._sessions() as session:
            return list(session.scalars(stmt))

    def entries(self, query: str | None = None, limit: int = 200) -> list[m.Entry]:
        """Newest first; ``query`` finds words of the title or of the pictures' own words
        (a statement or a meme is found by what it says)."""
        stmt = select(m.Entry).order_by(m.Entry.id.desc()).limit(limit)
        if query:
            said = select(m.Image.id).where(
                m.Image.entry_id == m.Entry.id,
                func.lower(m.Image.text).contains(query.lower(), autoescape=True),
            )
            stmt = stmt.where(
                or_(
                    func.lower(m.Entry.title).contains(query.lower(), autoescape=True),
                    said.exists(),
                )
            )
        with self._sessions() as session:
            return list(session.scalars(stmt))

    # --- negative bank --------------------------------------------------------

    def add_negative(self, fields: NegativeIn, image: NewImage, actor: Actor) -> int:
        """Store material that is not evidence; DuplicateNegative if its bytes are
        already in the bank. Every worker reloads the bank within a second."""
        stored = select(m.Negative.id).where(m.Negative.sha256 == image.fingerprint.sha256)
        with self._same_bytes_as(stored, DuplicateNegative), self._sessions.begin() as session:
            row = negative_row(fields.kind, image, note=fields.note, created_by=actor.label)
            if fields.source_url is not None:
                row.source_url = str(fields.source_url)
            session.add(row)
            session.flush()
            negatives_changed(session)
            write_audit(session, actor, "negative_add", f"negative:{row.id}", None, _negative(row))
            return row.id

    def set_negative_status(self, negative_id: int, status: str, actor: Actor) -> NegativeOut:
        """Retract an item of the bank (or restore it); audited, seen by every worker."""
        if status not in ("active", "retracted"):
            raise ValueError(f"unknown status {status!r}")
        with self._sessions.begin() as session:
            row = session.get(m.Negative, negative_id)
            if row is None:
                raise NotFound(negative_id)
            before = _negative(row)
            row.status = status
            negatives_changed(session)
            write_audit(
                session, actor, f"negative_{status}", f"negative:{row.id}", before, _negative(row)
            )
            return negative_out(row)

    def negatives(
        self, *, kind: str | None = None, status: str = "active", after: int | None, limit: int
    ) -> list[NegativeOut]:
        """Items of the bank, newest first, ``limit`` after id ``after`` (paging)."""
        stmt = select(m.Negative).where(m.Negative.status == status)
        if kind is not None:
            stmt = stmt.where(m.Negative.kind == kind)
        if after is not None:
            stmt = stmt.where(m.Negative.id < after)
        stmt = stmt.order_by(m.Negative.id.desc()).limit(limit)
        with self._sessions() as session:
            return [negative_out(row) for row in session.scalars(stmt)]

    def negative(self, negative_id: int) -> NegativeOut:
        with self._sessions() as session:
            row = session.get(m.Negative, negative_id)
            if row is None:
                raise NotFound(negative_id)
            return negative_out(row)

    def negative_thumbnail(self, negative_id: int) -> bytes | None:
        """The item's thumbnail; None for a frame, which has no picture of its own."""
        with self._sessions() as session:
            row = session.get(m.Negative, negative_id)
            if row is None:
                raise NotFound(negative_id)
            if row.thumbnail is None and row.image_id is not None:
                image = session.get(m.Image, row.image_id)
                return image.thumbnail if image else None
            return row.thumbnail

    # --- audit ----------------------------------------------------------------

    def audit(
        self, *, target: str | None = None, user_id: int | None = None, limit: int = 200
    ) -> list[m.AuditEvent]:
        """Newest first; ``target`` is one ("entry:4") or every one of a kind ("negative")."""
        stmt = select(m.AuditEvent).order_by(m.AuditEvent.id.desc()).limit(limit)
        if target and ":" not in target:
            stmt = stmt.where(m.AuditEvent.target.startswith(f"{target}:", autoescape=True))
        elif target:
            stmt = stmt.where(m.AuditEvent.target == target)
        if user_id is not None:
            stmt = stmt.where(m.AuditEvent.actor_user_id == user_id)
        with self._sessions() as session:
            return list(session.scalars(stmt))

    def iter_audit(self) -> Iterator[dict[str, Any]]:
        with self._sessions() as session:
            for event in session.scalars(select(m.AuditEvent).order_by(m.AuditEvent.id)):
                yield audit_dict(event)

    # --- mail ------------------------------------------------------------------

    def add_mail(self, to_address: str, subject: str, body: str) -> int:
        with self._sessions.begin() as session:
            row = m.OutboxMail(to_address=to_address, subject=subject[:300], body=body)
            session.add(row)
            session.flush()
            return row.id

    def mail(self, mail_id: int) -> m.OutboxMail | None:
        with self._sessions() as session:
            return session.get(m.OutboxMail, mail_id)

    def mail_done(self, mail_id: int, error: str | None = None) -> None:
        """Sent (``error`` None), or one more failed attempt and why."""
        with self._sessions.begin() as session:
            row = session.get(m.OutboxMail, mail_id, with_for_update=True)
            if row is None:
                return
            row.attempts += 1
            if error is None:
                row.sent_at = dt.datetime.now(dt.UTC)
            row.last_error = error

    def unsent_mail(self, older_than: dt.timedelta, max_attempts: int) -> list[int]:
        """Mail whose job was lost or failed, to try again (the sweep)."""
        cutoff = dt.datetime.now(dt.UTC) - older_than
        stmt = (
            select(m.OutboxMail.id)
            .where(
                m.OutboxMail.sent_at.is_(None),
                m.OutboxMail.attempts < max_attempts,
                m.OutboxMail.created_at < cutoff,
            )
            .order_by(m.OutboxMail.id)
            .limit(100)
        )
        with self._sessions() as session:
            return list(session.scalars(stmt))

    def forget_notify_email(self, submission_id: int) -> None:
        """A decided report keeps no address: its reporter has been told."""
        with self._sessions.begin() as session:
            sub = session.get(m.Submission, submission_id)
            if sub is not None:
                sub.notify_email = None

    # --- reader feedback ------------------------------------------------------

    def add_feedback(
        self,
        entry_id: int,
        verdict: str,
        page_url: str | None,
        image_url: str | None,
        client_key: str | None = None,
    ) -> None:
        """Record a reader's verdict; a reader (``client_key``) has one say per entry, so a
        second click replaces the first instead of counting twice."""
        for _ in range(2):  # a concurrent first say by the same reader: update it instead
            try:
                with self._sessions.begin() as session:
                    if session.get(m.Entry, entry_id) is None:
                        raise NotFound(entry_id)
                    row = None
                    if client_key is not None:
                        row = session.scalar(
                            select(m.Feedback).where(
                                m.Feedback.entry_id == entry_id,
                                m.Feedback.client_key == client_key,
                            )
                        )
                    if row is None:
                        row = m.Feedback(entry_id=entry_id, client_key=client_key)
                        session.add(row)
                    row.verdict, row.page_url, row.image_url = verdict, page_url, image_url
                    row.created_at = dt.datetime.now(dt.UTC)
                return
            except IntegrityError:
                continue

    def feedback_counts(self) -> dict[int, dict[str, int]]:
        stmt = select(m.Feedback.entry_id, m.Feedback.verdict, func.count()).group_by(
            m.Feedback.entry_id, m.Feedback.verdict
        )
        counts: dict[int, dict[str, int]] = {}
        with self._sessions() as session:
            for entry_id, verdict, n in session.execute(stmt):
                counts.setdefault(entry_id, {})[verdict] = n
        return counts


def status_action(status: str) -> str:
    return {"published": "publish", "disabled": "disable", "retracted": "retract"}[status]


def audit_dict(event: m.AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "target": event.target,
        "before": json.loads(event.before) if event.before else None,
        "after": json.loads(event.after) if event.after else None,
    }


def write_audit(
    session: Session,
    actor: Actor,
    action: str,
    target: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        m.AuditEvent(
            at=dt.datetime.now(dt.UTC),
            actor=actor.label,
            actor_user_id=actor.user_id,
            action=action,
            target=target,
            before=json.dumps(before, default=str) if before is not None else None,
            after=json.dumps(after, default=str) if after is not None else None,
        )
    )


def negative_out(row: m.Negative) -> NegativeOut:
    return NegativeOut(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        note=row.note,
        status=row.status,  # type: ignore[arg-type]
        source_url=row.source_url,
        width=row.width,
        height=row.height,
        image_id=row.image_id,
        created_by=row.created_by,
        created_at=_aware(row.created_at),
    )


def _negative(row: m.Negative) -> dict[str, Any]:
    return {"kind": row.kind, "note": row.note, "status": row.status, "sha256": row.sha256}


def _entry_state(session: Session, entry_id: int) -> dict[str, Any]:
    session.flush()
    entry = session.get(m.Entry, entry_id)
    state = entry_out(entry).model_dump(mode="json", exclude={"images", "created_at", "url"})
    state["images"] = [f"{image.id}:{image.role}" for image in entry.images]
    state["status_reason"] = entry.status_reason
    return state


def _submission_state(sub: m.Submission) -> dict[str, Any]:
    return {"status": sub.status, "reason": sub.reason, "entry_id": sub.entry_id}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite drops the zone on the way back; every stored time is UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: Checked when the email is unknown, so that a miss costs what a wrong password costs.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


def _token_state(row: m.ApiToken) -> dict[str, Any]:
    return {
        "name": row.name,
        "role": row.role,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def _user_state(user: m.User) -> dict[str, Any]:
    return {"email": user.email, "name": user.name, "role": user.role, "active": user.active}


def _str(value: object) -> str | None:
    return str(value) if value is not None else None


def get_moderation() -> ModerationStore:
    return current_app.extensions["origincheck.moderation"]


def init_app(app: Flask) -> None:
    app.extensions["origincheck.moderation"] = ModerationStore(
        get_engine(app), app.config["STORE_TIMEOUT"]
    )
