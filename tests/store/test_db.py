"""Migrations: running them gives exactly the schema the models describe."""

from __future__ import annotations

import numpy as np
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.store import models as m
from server.store.db import alembic_config, get_engine

from ..conftest import add_fake, make_app, store_of


def test_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    app = make_app(database_url)
    with get_engine(app).connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), m.Base.metadata)
    assert differences == []


def test_indexed_hashes_survive_the_move_to_one_row_per_image(database_url: str) -> None:
    """Migration 0007 moved each image's hashes from rows of their own into its row; a
    database filled before it (downgraded here, then upgraded again) indexes the same."""
    app = make_app(database_url)
    add_fake(app, "rocket")
    add_fake(app, "coffee")
    before = store_of(app).index_rows()
    command.downgrade(alembic_config(app), "0006")
    command.upgrade(alembic_config(app), "head")
    after = store_of(app).index_rows()
    assert len(after.codes) == 2 * 16  # whole + 15 crop windows; no bands to trim
    assert np.array_equal(after.codes, before.codes)
    assert np.array_equal(after.image_ids, before.image_ids)
    assert np.array_equal(after.entry_ids, before.entry_ids)
    assert after.variants == before.variants and after.variants[0] == "full"
