"""Outages degrade, never fail (reliability review P1, P2, P4, P8).

gunicorn as the Procfile runs it (gevent workers, rate limits on), the real PostgreSQL
and Redis, each behind a TCP relay that can hang (a stopped or partitioned server:
connections stay open, no byte moves) or refuse (a killed one).
"""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from bench.hostile.faults import TcpRelay, relay
from server.checks import _warm_up_jpeg

from .. import edits
from ..conftest import POSTGRES_URL, REDIS_URL, demo_image
from ..servers import BIN, ROOT, dies_with_the_tests, flask, free_port, gunicorn, server_env

MATCHING = edits.archetype(demo_image("rocket"))
NOT_MATCHING = _warm_up_jpeg()  # textured, and like nothing in the demo bank


class Stack:
    def __init__(self, base: str, database: TcpRelay, cache: TcpRelay) -> None:
        self.base, self.database, self.cache = base, database, cache
        self._n = 0

    def check(self, data: bytes, timeout: float = 10) -> tuple[int, str, float]:
        """(status, result or error code, seconds); fresh bytes each time, so no cache hit."""
        self._n += 1
        started = time.monotonic()
        response = requests.post(
            self.base + "/api/v1/check",
            files={"image": ("x.jpg", data + self._n.to_bytes(4, "big"))},
            timeout=timeout,
        )
        body = response.json()
        outcome = body.get("result") or body["error"]["code"]
        return response.status_code, outcome, time.monotonic() - started

    def health(self) -> int:
        return requests.get(self.base + "/api/v1/health", timeout=10).status_code


@pytest.fixture
def stack(postgres_url: str, redis_url: str) -> Iterator[Stack]:
    database, cache = urlsplit(POSTGRES_URL), urlsplit(REDIS_URL)
    with (
        relay(database.hostname, database.port or 5432) as db_relay,
        relay(cache.hostname, cache.port or 6379) as cache_relay,
    ):
        env = server_env(
            f"postgresql+psycopg://postgres@127.0.0.1:{db_relay.port}{database.path}",
            REDIS_URL=f"redis://127.0.0.1:{cache_relay.port}{cache.path}",
            ORIGINCHECK_RATELIMIT_ENABLED="true",
            ORIGINCHECK_RATELIMIT_CHECK="100000 per minute",
            ORIGINCHECK_RATELIMIT_WORK="100000 per minute",
            ORIGINCHECK_INDEX_POLL_INTERVAL="0.1",
        )
        flask(env, "init-db")
        flask(env, "demo-data")
        with gunicorn(env) as base:
            yield Stack(base, db_relay, cache_relay)


def typical_seconds(stack: Stack) -> float:
    return statistics.median(stack.check(NOT_MATCHING)[2] for _ in range(7))


@pytest.mark.parametrize("fault", ["refuse", "hang"])
def test_checks_answer_while_redis_is_away(stack: Stack, fault: str) -> None:
    """Limits fall back to memory, the cache is bypassed: answered within normal + 0.5 s."""
    normal = typical_seconds(stack)
    getattr(stack.cache, fault)()
    outcomes = [stack.check(NOT_MATCHING) for _ in range(12)] + [stack.check(MATCHING)]
    assert [status for status, _, _ in outcomes] == [200] * 13
    assert outcomes[-1][1] == "match"
    slowest = max(seconds for _, _, seconds in outcomes)
    assert slowest < normal + 0.5, (normal, slowest)
    assert stack.health() == 503  # degraded: a load balancer should prefer another node
    stack.cache.restore()
    deadline = time.monotonic() + 10
    while stack.health() != 200:
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.2)


@pytest.mark.parametrize("fault", ["refuse", "hang"])
def test_a_database_outage_is_a_quick_503_and_recovers_by_itself(stack: Stack, fault: str) -> None:
    assert stack.check(MATCHING)[1] == "match"
    getattr(stack.database, fault)()
    time.sleep(0.3)
    answers = [stack.check(MATCHING) for _ in range(4)]
    for status, outcome, seconds in answers:
        assert (status, outcome) == (503, "store_unavailable")
        assert seconds < 2.0, seconds
    # Checks that need no entry text are still answered from the worker's index.
    status, outcome, seconds = stack.check(NOT_MATCHING)
    assert (status, outcome) == (200, "no_match") and seconds < 2.0
    started = time.monotonic()
    assert stack.health() == 503
    assert time.monotonic() - started < 2.5
    stack.database.restore()
    deadline = time.monotonic() + 15
    while stack.check(MATCHING)[1] != "match" or stack.health() != 200:
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.3)


def test_after_a_killed_master_the_port_is_free_for_the_restart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Orphaned workers used to hold the port, and the restart failed (P4)."""
    env = server_env(tmp_path / "db.sqlite3")
    flask(env, "init-db")
    port = free_port()
    command = [BIN / "gunicorn", "-b", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"]
    command.append("server:create_app()")

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
            preexec_fn=dies_with_the_tests,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                return process
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)

    first = start()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    deadline = time.monotonic() + 5
    while _listening(port):
        assert time.monotonic() < deadline, "orphaned workers still hold the port"
        time.sleep(0.1)
    second = start()
    try:
        assert requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).status_code == 200
    finally:
        second.terminate()
        second.wait(timeout=15)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
