"""Database engine and sessions, owned by the app (Flask's ``init_app`` pattern).

The engine is created lazily per app, so importing the package never connects.
Schema changes go through Alembic migrations (``server/store/migrations``);
``init-db`` runs them, on the embedded SQLite default as on PostgreSQL.

A database that is down answers at once (connection refused); one that hangs (a
stuck primary, a network partition) used to hold every request until gunicorn killed
the worker (reliability review P2). So sessions are ``BoundedSessions``: inside a
request, a session that has not finished in ``STORE_TIMEOUT`` seconds is abandoned
(its connection invalidated, never rolled back on the hung server) and the request
answers 503; after such a failure the store is treated as down for a moment, so the
requests behind it are answered at once instead of each waiting out the timeout.
The deadline needs gevent (the Procfile's worker): it interrupts a greenlet wherever
it waits. Outside a request (the CLI, a worker's index build) nothing is cut short.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, has_request_context
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def get_engine(app: Flask | None = None) -> Engine:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = app.extensions.get("origincheck.engine")
    if engine is None:
        engine = make_engine(app.config["DATABASE_URL"], app.config["STORE_TIMEOUT"])
        app.extensions["origincheck.engine"] = engine
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    return engine


def make_engine(url: str, timeout: float = 1.5) -> Engine:
    """An engine with the settings each backend needs to be safe under gunicorn.

    PostgreSQL: libpq's connect timeout (2 s, its minimum), a server-side statement
    timeout for genuinely slow SQL, TCP keepalives for dead peers, and a pool that
    makes a request wait ``timeout`` for a free connection, not 30 s.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": 2,
            "options": "-c statement_timeout=30000",
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 2,
            "keepalives_count": 3,
        },
    )


class StoreUnavailable(OperationalError):
    """The database did not answer in time, or failed a moment ago (503, retry)."""

    def __init__(self, why: str) -> None:
        super().__init__(why, None, Exception(why))


class BoundedSessions:
    """``sessionmaker`` with a deadline per session inside requests, and a breaker.

    ``with sessions() as session`` / ``with sessions.begin() as session`` as usual.
    """

    #: After a failure, requests are refused at once for this long, then one tries again.
    RETRY_AFTER = 1.0

    def __init__(self, engine: Engine, timeout: float) -> None:
        self._maker = sessionmaker(engine, expire_on_commit=False)
        self._timeout = timeout
        self._down_until = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[Session]:
        with self._bounded(), self._maker() as session:
            yield session

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self._bounded(), self._maker.begin() as session:
            yield session

    @contextmanager
    def _bounded(self) -> Iterator[None]:
        bounded = has_request_context()
        if bounded and time.monotonic() < self._down_until:
            raise StoreUnavailable("the database failed a moment ago")
        timer = _gevent_timeout(self._timeout) if bounded else None
        started = time.monotonic()
        try:
            if timer is not None:
                timer.start()
            yield
        except BaseException as exc:
            # Whatever the driver raises once the deadline has passed (the timeout itself,
            # or an error from the half-finished statement it interrupted) is the outage.
            timed_out = timer is not None and time.monotonic() - started >= self._timeout
            if timed_out:
                self._trip()
                raise StoreUnavailable(
                    f"no answer from the database in {self._timeout} s"
                ) from None
            if isinstance(exc, OperationalError) and bounded:
                self._trip()
            raise
        finally:
            if timer is not None:
                timer.close()

    def _trip(self) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self.RETRY_AFTER


def _gevent_timeout(seconds: float):  # type: ignore[no-untyped-def]
    """A gevent Timeout when this process runs gevent's patched sockets, else None."""
    import sys

    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        return None
    import gevent

    return gevent.Timeout(seconds)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the check path read while an import writes; foreign keys make the
    # cascades in models.py real.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def upgrade(app: Flask) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(app), "head")


def alembic_config(app: Flask) -> AlembicConfig:
    """Alembic's settings for this app's database (no alembic.ini: the app has them)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = get_engine(app)
    return cfg


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or migrate the database schema."""
    upgrade(current_app)
    click.echo(f"Database ready: {current_app.config['DATABASE_URL']}")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
