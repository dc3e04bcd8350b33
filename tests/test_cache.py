"""The result cache and change propagation, on the real Redis and PostgreSQL."""

from __future__ import annotations

import time

import redis

from server.cache import MemoryCache, RedisCache

from . import edits
from .conftest import add_fake, demo_image, make_app, upload


def test_redis_cache_round_trips_and_expires(redis_url: str) -> None:
    cache = RedisCache(redis_url, ttl=1)
    assert cache.get("1:abc") is None
    cache.set("1:abc", {"result": "match"})
    assert cache.get("1:abc") == {"result": "match"}
    assert cache.state() == "ok"
    time.sleep(1.1)
    assert cache.get("1:abc") is None


def test_redis_outage_degrades_to_uncached() -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", ttl=60)  # nothing listens there
    cache.set("k", {"a": 1})
    assert cache.get("k") is None
    assert cache.state() == "down"


def test_memory_cache_reports_disabled() -> None:
    cache = MemoryCache(size=2, ttl=60)
    cache.set("a", {"n": 1})
    assert cache.get("a") == {"n": 1}
    assert cache.state() == "disabled"


def test_checks_are_cached_in_redis_and_shared_between_workers(postgres_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    worker_a = make_app(postgres_url, REDIS_URL=redis_url)
    worker_b = make_app(postgres_url, REDIS_URL=redis_url)
    add_fake(worker_a, "rocket")
    query = edits.archetype(demo_image("rocket"))
    first = upload(worker_a.test_client(), query).get_json()
    assert first["result"] == "match" and first["cached"] is False
    second = upload(worker_b.test_client(), query).get_json()
    assert second["cached"] is True and second["result"] == "match"
    keys = redis.Redis.from_url(redis_url).keys("origincheck:check:*")
    assert len(keys) == 1
    health = worker_b.test_client().get("/api/v1/health").get_json()
    assert health["redis"] == "ok" and health["store"] == "postgresql: ok"


def test_every_worker_sees_a_new_entry_within_a_second(postgres_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    workers = [
        make_app(postgres_url, REDIS_URL=redis_url, INDEX_POLL_INTERVAL=0.25) for _ in range(2)
    ]
    clients = [w.test_client() for w in workers]
    query = edits.archetype(demo_image("coffee"))
    for client in clients:  # each worker builds its index and caches "no match"
        assert upload(client, query).get_json()["result"] == "no_match"
    add_fake(workers[0], "coffee")
    changed = time.monotonic()
    for client in clients:
        while (result := upload(client, query).get_json()["result"]) != "match":
            assert time.monotonic() - changed < 1.0, "worker still serves the old index"
            time.sleep(0.02)
        assert result == "match"
