"""Database engine and sessions, owned by the app (Flask's ``init_app`` pattern).

The engine is created lazily per app, so importing the package never connects.
Schema changes go through Alembic migrations (``server/migrations``); ``init-db``
runs them, on the embedded SQLite default as on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event

MIGRATIONS = Path(__file__).parent / "migrations"


def get_engine(app: Flask | None = None) -> Engine:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    engine = app.extensions.get("origincheck.engine")
    if engine is None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["origincheck.engine"] = engine
    return engine


def make_engine(url: str) -> Engine:
    """An engine with the settings each backend needs to be safe under gunicorn."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


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
