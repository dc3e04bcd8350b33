"""Cache of check results, keyed by index version and the image's SHA-256.

The same viral image is checked over and over; answering a repeat from the cache
skips decoding and hashing. The key carries the index version, so an entry change
(which bumps the version) makes every older result unreachable at once: no
invalidation messages, no stale verdicts. With ``REDIS_URL`` the cache is shared by
every worker and node; without it each worker keeps a small in-process LRU.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Protocol

import redis
from cachetools import TTLCache
from flask import Flask, current_app

log = logging.getLogger(__name__)


class ResultCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...
    def set(self, key: str, value: dict[str, Any]) -> None: ...
    def state(self) -> str: ...


class MemoryCache:
    """Per-process LRU with a time limit; enough for one node without Redis."""

    def __init__(self, size: int, ttl: float) -> None:
        self._data: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=size, ttl=ttl)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._data[key] = value

    def state(self) -> str:
        return "disabled"


class RedisCache:
    """Shared cache in Redis. A Redis outage degrades to uncached checks, never errors.

    A hung Redis costs one socket timeout (0.1 s; Redis answers in well under a
    millisecond when it is up); after a failure the cache is skipped
    for ``RETRY_AFTER`` seconds, so the checks behind it do not each wait it out
    (reliability review: a stopped Redis slowed every check by 0.5 s).
    """

    RETRY_AFTER = 2.0

    def __init__(self, url: str, ttl: int) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.1, socket_connect_timeout=0.1)
        self._ttl = ttl
        self._down_until = 0.0

    def get(self, key: str) -> dict[str, Any] | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            raw = self._redis.get("origincheck:check:" + key)
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return json.loads(raw) if raw else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        if time.monotonic() < self._down_until:
            return
        try:
            self._redis.set("origincheck:check:" + key, json.dumps(value), ex=self._ttl)
        except redis.RedisError as exc:
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.RETRY_AFTER
        log.warning("result cache unavailable for %s s: %s", self.RETRY_AFTER, exc)

    def state(self) -> str:
        try:
            self._redis.ping()
            return "ok"
        except redis.RedisError:
            return "down"


def get_cache() -> ResultCache:
    return current_app.extensions["origincheck.cache"]


def init_app(app: Flask) -> None:
    ttl = app.config["CACHE_TTL"]
    url = app.config.get("REDIS_URL")
    app.extensions["origincheck.cache"] = (
        RedisCache(url, ttl) if url else MemoryCache(app.config["CACHE_SIZE"], ttl)
    )
