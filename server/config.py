"""Configuration defaults; every key can be overridden from the environment.

Precedence, lowest first: these defaults, the conventional ``DATABASE_URL`` and
``REDIS_URL`` variables, ``ORIGINCHECK_<KEY>`` variables (parsed as JSON where
they can be, so ``ORIGINCHECK_MATCH_THRESHOLD=31`` is a number), then the test
config passed to ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

MB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    # Signs sessions and status links. Unset: the embedded default keeps a generated one
    # in instance/secret_key; any other deployment refuses to start (``finish``).
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "REDIS_URL": None,  # None: in-process cache, single node
    # Seconds a request waits for the database before answering 503 (a hung database
    # must not hold workers; see store/db.py).
    "STORE_TIMEOUT": 1.5,
    # Seconds after which any request is stopped with a 503 (under gevent; below
    # gunicorn's 30 s worker timeout, above every narrower budget).
    "REQUEST_BUDGET": 25.0,
    "PUBLIC_URL": "http://localhost:5000",  # base of links in `export --format jsonld`
    # Reverse proxies in front that set X-Forwarded-For/-Proto (nginx: 1). 0 trusts none,
    # so a client cannot pick its own rate-limit bucket by sending the header itself.
    "PROXY_HOPS": 0,
    "SESSION_MAX_AGE": 7 * 24 * 3600,  # seconds a sign-in lasts, at most
    "TOKEN_DAYS": 90,  # default lifetime of new API tokens
    # Uploads and decoding limits.
    "MAX_CONTENT_LENGTH": 20 * MB,
    "MAX_IMAGE_PIXELS": 40_000_000,
    # Matching (PDQ Hamming distance out of 256); see README "Thresholds".
    "MATCH_THRESHOLD": 40,
    "POSSIBLE_MATCH_THRESHOLD": 48,
    "MIN_PDQ_QUALITY": 50,
    "STAGE2_ENABLED": True,  # local features when the hashes find no confirmed match
    "MIN_INLIERS": 12,  # stage 2: keypoints one homography must explain
    "MIN_AGREEMENT": 0.6,  # stage 2 confirmed match: share of overlap cells that agree
    "POSSIBLE_AGREEMENT": 0.5,  # stage 2 unconfirmed match
    "INDEX_POLL_INTERVAL": 0.25,  # seconds; bounds how stale a worker's index can be
    # Result cache.
    "CACHE_TTL": 24 * 3600,
    "CACHE_SIZE": 10_000,
    # Server-side URL fetching.
    "FETCH_TIMEOUT": 5.0,
    "FETCH_MAX_REDIRECTS": 3,
    "FETCH_ALLOW_LOOPBACK": False,
    "FETCH_CONCURRENCY": 8,  # outbound fetches at once per worker process; more wait, then 503
    "PAGE_CHECK_BUDGET": 20.0,  # seconds for all of a "check a post" (page + its images)
    "BULK_BUDGET": 20.0,  # seconds for one bulk submission request
    # Videos (server/videos.py). References: indexed in the background as key frames.
    "VIDEO_KEEP": False,  # keep reference video files after indexing (else frames only)
    "VIDEO_MAX_BYTES": 500 * MB,  # a reference video upload
    "VIDEO_MAX_SECONDS": 3600,
    "VIDEO_MAX_PIXELS": 3840 * 2160,  # per frame, as declared and as decoded
    "VIDEO_MAX_FRAMES": 2000,  # frames kept per video
    "VIDEO_EVERY": 2.0,  # seconds between kept frames when the picture does not cut
    "VIDEO_DECODE_BUDGET": 500.0,  # seconds one video's decoding may take (< JOB_TIMEOUT)
    # Clips sent to /api/v1/check: sampled and each frame checked, in the request.
    "CLIP_MAX_BYTES": 50 * MB,
    "CLIP_MAX_SECONDS": 60,
    "CLIP_MAX_FRAMES": 60,
    "CLIP_EVERY": 1.0,
    "CLIP_DECODE_BUDGET": 10.0,
    # Provenance (server/provenance/): Content Credentials and metadata of checked files.
    "PROVENANCE_ENABLED": True,
    "PROVENANCE_TIMEOUT": 1.0,  # seconds a C2PA read may take before it is abandoned
    # PEM bundle of trusted C2PA signing roots (e.g. the C2PA trust list). Unset: every
    # valid signature reads "signer not on a trust list".
    "C2PA_TRUST_ANCHORS": None,
    # Rate limits (Flask-Limiter reads RATELIMIT_*).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_CHECK": "120 per minute",
    "RATELIMIT_SUBMIT": "20 per hour",
    "RATELIMIT_FEEDBACK": "60 per hour",
    "RATELIMIT_LOGIN": "10 per minute",
    # Work units per client: a megapixel decoded, a second spent fetching. A 40 MP image
    # costs 40, a 1 MP upload 1, a cached repeat nothing.
    "RATELIMIT_WORK": "300 per minute",
    # A Redis outage falls back to per-process counters instead of failing requests;
    # a hung Redis costs at most one 0.1 s socket timeout before the fallback.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 0.1, "socket_connect_timeout": 0.1},
    # Background jobs (jobs.py): RQ on REDIS_URL, else a thread of the server process.
    "JOB_TIMEOUT": 600,  # seconds one job may run
    "JOB_SWEEP_EVERY": 60.0,  # seconds between looks for overdue work (flask worker)
    "JOB_OVERDUE": 120.0,  # seconds after which unfinished work is queued again
    # Submissions: originals up to this size are kept as sent; larger ones are kept
    # re-encoded (JPEG, longest side SUBMISSION_KEEP_SIDE); open reports hold at most
    # SUBMISSIONS_QUOTA_BYTES of images, after which new reports wait (503).
    "SUBMISSION_KEEP_BYTES": 4 * MB,
    "SUBMISSION_KEEP_SIDE": 4096,
    "SUBMISSIONS_QUOTA_BYTES": 2048 * MB,
    "SUBMISSION_VIDEO_MAX_BYTES": 50 * MB,  # a report that is a video (kept whole)
    # Moderation.
    "FEEDBACK_FLAG_THRESHOLD": 3,  # "doesn't match" reports that flag an entry in the queue
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # True forces it; HTTPS requests get it regardless
    # X-OriginCheck-Worker: <pid> on every answer (tests and load tests watch workers).
    "EXPOSE_WORKER": False,
    "RATELIMIT_HEADERS_ENABLED": True,
    # Mail (reporters' updates, invitations). No MAIL_SERVER: nothing is sent; reporters
    # are not offered updates by mail and admins are shown the invitation link to pass on.
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_STARTTLS": True,  # upgrade the connection before logging in (port 587)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "OriginCheck <noreply@localhost>",
    "MAIL_TIMEOUT": 10.0,
    "INVITE_DAYS": 7,
    "IMPORT_MAX_BYTES": 200 * MB,  # a fact-check feed fetched by `flask import URL`
}


def conventional_env() -> dict[str, Any]:
    """``DATABASE_URL`` and ``REDIS_URL``, as hosting platforms set them."""
    return {key: os.environ[key] for key in ("DATABASE_URL", "REDIS_URL") if os.environ.get(key)}


class UnsafeConfig(RuntimeError):
    """A setting that must not go to production as it is; the app refuses to start."""


#: Keys that have been published (Flask's tutorial value, this project's old default).
KNOWN_KEYS = {"dev", "secret", "changeme", "change-me"}


def finish(config: dict[str, Any], instance_path: str) -> None:
    """Fill in what is derived from other settings; refuse unsafe production ones."""
    embedded = not config.get("DATABASE_URL")
    if embedded:
        config["DATABASE_URL"] = f"sqlite:///{os.path.join(instance_path, 'origincheck.sqlite3')}"
    config["SECRET_KEY"] = _secret_key(config, instance_path, embedded)
    url = config["DATABASE_URL"]
    if url.startswith("postgres://"):  # Heroku-style URL; SQLAlchemy wants the dialect name
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    config["DATABASE_URL"] = url
    config.setdefault("FETCH_MAX_BYTES", config["MAX_CONTENT_LENGTH"])
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")


def _secret_key(config: dict[str, Any], instance_path: str, embedded: bool) -> str:
    """The configured key; on the embedded default one generated once into the instance
    folder (so sessions survive restarts); in tests a random one. Anything else without a
    real key would let anyone who knows the default forge an admin's session."""
    key = config.get("SECRET_KEY")
    if key and (embedded or config.get("TESTING") or _strong(str(key))):
        return str(key)
    if key:
        raise UnsafeConfig(
            "ORIGINCHECK_SECRET_KEY is a published or short value; set at least 32 random "
            'characters, e.g. python -c "import secrets; print(secrets.token_hex(32))"'
        )
    if config.get("TESTING"):
        return secrets.token_hex(32)
    if not embedded:
        raise UnsafeConfig(
            "Set ORIGINCHECK_SECRET_KEY (at least 32 random characters) before running "
            "with DATABASE_URL; without it anyone could sign a session cookie."
        )
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    with open(path, encoding="utf-8") as stored:
        return stored.read().strip()


def _strong(key: str) -> bool:
    return len(key) >= 32 and key.lower() not in KNOWN_KEYS
