"""Storage: the engine, the tables, the entries store and the people store, migrations.

Everything else reaches the database through ``get_store()`` (known fakes, the index
source) and ``get_moderation()`` (accounts, submissions, audit, feedback); neither
hands out SQLAlchemy objects it would have to keep consistent. This package imports
nothing from ``server.api`` or ``server.web``.
"""

from __future__ import annotations

from flask import Flask

from . import db, entries, moderation, videos
from .entries import DuplicateImage, NewImage, SqlStore, get_store
from .moderation import (
    Actor,
    DuplicateNegative,
    IdempotencyConflict,
    InvalidState,
    LastAdmin,
    Merged,
    ModerationStore,
    NotFound,
    VersionConflict,
    get_moderation,
)
from .videos import DuplicateVideo, NewVideo, VideoStore, get_videos

__all__ = [
    "Actor",
    "DuplicateImage",
    "DuplicateNegative",
    "DuplicateVideo",
    "IdempotencyConflict",
    "InvalidState",
    "LastAdmin",
    "Merged",
    "ModerationStore",
    "NewImage",
    "NewVideo",
    "NotFound",
    "SqlStore",
    "VersionConflict",
    "VideoStore",
    "get_moderation",
    "get_store",
    "get_videos",
    "init_app",
]


def init_app(app: Flask) -> None:
    db.init_app(app)
    entries.init_app(app)
    moderation.init_app(app)
    videos.init_app(app)
