"""Configuration defaults; every key can be overridden from the environment.

Precedence, lowest first: these defaults, the conventional ``DATABASE_URL`` and
``REDIS_URL`` variables, ``ORIGINCHECK_<KEY>`` variables (parsed as JSON where
they can be, so ``ORIGINCHECK_MATCH_THRESHOLD=31`` is a number), then the test
config passed to ``create_app``.
"""

from __future__ import annotations

import os
from typing import Any

MB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev",  # override in production: ORIGINCHECK_SECRET_KEY
    "DATABASE_URL": None,  # None: SQLite file in the instance folder
    "REDIS_URL": None,  # None: in-process cache, single node
    "PUBLIC_URL": "http://localhost:5000",  # base of links in `export --format jsonld`
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
    # Rate limits (Flask-Limiter reads RATELIMIT_*).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_CHECK": "120 per minute",
    "RATELIMIT_SUBMIT": "20 per hour",
    "RATELIMIT_FEEDBACK": "60 per hour",
    "RATELIMIT_LOGIN": "10 per minute",
    # Moderation.
    "FEEDBACK_FLAG_THRESHOLD": 3,  # "doesn't match" reports that flag an entry in the queue
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # True forces it; HTTPS requests get it regardless
    # X-OriginCheck-Worker: <pid> on every answer (tests and load tests watch workers).
    "EXPOSE_WORKER": False,
    "RATELIMIT_HEADERS_ENABLED": True,
}


def conventional_env() -> dict[str, Any]:
    """``DATABASE_URL`` and ``REDIS_URL``, as hosting platforms set them."""
    return {key: os.environ[key] for key in ("DATABASE_URL", "REDIS_URL") if os.environ.get(key)}


def finish(config: dict[str, Any], instance_path: str) -> None:
    """Fill in what is derived from other settings."""
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{os.path.join(instance_path, 'origincheck.sqlite3')}"
    url = config["DATABASE_URL"]
    if url.startswith("postgres://"):  # Heroku-style URL; SQLAlchemy wants the dialect name
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    config["DATABASE_URL"] = url
    config.setdefault("FETCH_MAX_BYTES", config["MAX_CONTENT_LENGTH"])
    config.setdefault("RATELIMIT_STORAGE_URI", config.get("REDIS_URL") or "memory://")
