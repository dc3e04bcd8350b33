"""Migrations: running them gives exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server import models as m
from server.db import get_engine

from .conftest import make_app


def test_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    app = make_app(database_url)
    with get_engine(app).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert differences == []
