"""Shared fixtures: apps on a fresh SQLite file or the real PostgreSQL, real Redis.

PostgreSQL and Redis tests use the servers named by ORIGINCHECK_TEST_POSTGRES_URL and
ORIGINCHECK_TEST_REDIS_URL (local defaults). Where one is not running its tests are
skipped, except under CI=true, where a missing service fails the run.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import create_engine, text

from server import create_app
from server.records import EntryFields
from server.references import prepare
from server.store import ModerationStore, SqlStore, get_moderation
from server.store.db import upgrade

from . import edits

DEMO = Path(__file__).parent.parent / "server" / "demo" / "images"
POSTGRES_URL = os.environ.get(
    "ORIGINCHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ORIGINCHECK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def service_missing(what: str, exc: Exception) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI but unreachable: {exc}")
    pytest.skip(f"{what} not reachable: {exc}")


def demo_image(name: str) -> Image.Image:
    return Image.open(DEMO / f"{name}.jpg").convert("RGB")


def demo_bytes(name: str) -> bytes:
    return (DEMO / f"{name}.jpg").read_bytes()


def make_app(database_url: str, **config: object) -> Flask:
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": False,
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,  # tests/test_moderation.py turns it on to test it
            "INDEX_POLL_INTERVAL": 0.0,
            **config,
        }
    )
    upgrade(app)
    return app


def reset_postgres() -> None:
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def postgres_url() -> str:
    try:
        reset_postgres()
    except Exception as exc:  # noqa: BLE001
        service_missing("PostgreSQL", exc)
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run a test on the embedded default and on the real PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def app(sqlite_url: str) -> Flask:
    return make_app(sqlite_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def add_fake(app: Flask, name: str = "rocket", **fields: object) -> int:
    """Store one known fake made from a demo image, as a moderator would."""
    values: dict[str, object] = {
        "title": f"{name} photo misused",
        "category": "DecontextualizedContent",
        "claim": f"The {name} picture shows last night's attack.",
        "origin": {
            "description": f"A {name} photo from an archive.",
            "url": "https://example.org/o",
        },
        "sources": [{"url": "https://example.org/debunk", "publisher": "Fact desk"}],
        **fields,
    }
    image = prepare(demo_bytes(name), role="original", max_pixels=app.config["MAX_IMAGE_PIXELS"])
    return store_of(app).add_entry(EntryFields.model_validate(values), [image])


def add_picture_fake(app: Flask, picture: Image.Image, title: str = "Burst frame misused") -> int:
    """Store a known fake made from any picture (an edit of a demo image)."""
    fields = EntryFields.model_validate(
        {
            "title": title,
            "category": "DecontextualizedContent",
            "claim": "Shows last night's attack.",
            "origin": {"description": "An archive photo."},
        }
    )
    image = prepare(edits.jpeg(picture, 90), role="original", max_pixels=10**8)
    return store_of(app).add_entry(fields, [image])


def store_of(app: Flask) -> SqlStore:
    return app.extensions["origincheck.store"]


def upload(client: FlaskClient, data: bytes, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/check",
        data={"image": (io.BytesIO(data), "image.jpg"), **form},
        content_type="multipart/form-data",
    )


# --- what people do: sign in, hold a token, report an image ----------------------


def token(app: Flask, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {moderation_of(app).create_token(f'test-{role}', role, 90)}"}


def sign_in(app: Flask, client: FlaskClient, role: str) -> None:
    email = f"{role}@example.org"
    moderation_of(app).create_user(email, role.title(), "correct horse", role)
    response = client.post("/login", data={"email": email, "password": "correct horse"})
    assert response.status_code == 302


def moderation_of(app: Flask) -> ModerationStore:
    with app.app_context():
        return get_moderation()


def submit(client: FlaskClient, name: str = "rocket", **fields: str) -> int:
    data = edits.archetype(demo_image(name))
    response = client.post(
        "/api/v1/submissions",
        data={
            "image": (io.BytesIO(data), "fake.jpg"),
            "claim": f"The {name} shows an airstrike",
            "seen_url": "https://social.example/post/1",
            "seen_date": "2024-03-01",
            "origin_description": "An archive photo",
            "evidence_urls": "https://fc.example/a\nhttps://fc.example/b",
            **fields,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["status_url"].startswith(f"http://localhost/api/v1/submissions/{body['id']}?token=")
    STATUS_URLS[body["id"]] = body["status_url"]
    return body["id"]


def settle(app: Flask) -> None:
    """Wait until the background tasks enqueued so far have run (the embedded queue)."""
    app.extensions["origincheck.jobs"].wait()


#: Each report's status link, as its sender was given it (``submit``).
STATUS_URLS: dict[int, str] = {}


def report_status(client: FlaskClient, submission_id: int) -> dict:  # type: ignore[type-arg]
    """What the sender of a report sees by following its status link."""
    response = client.get(STATUS_URLS[submission_id])
    assert response.status_code == 200
    return response.get_json()
