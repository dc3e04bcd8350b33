"""Hostile traffic against gunicorn as the Procfile runs it (security review F3, P9)."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import requests

from bench.hostile.slowloris import measure

from ..servers import gunicorn, http_server, server_env


def test_two_hundred_slow_clients_do_not_stop_normal_checks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two connections trickling headers used to hold both sync workers."""
    with gunicorn(server_env(tmp_path / "db.sqlite3")) as base:
        outcome = measure(base, connections=200, seconds=8.0, interval=2.0)
    assert outcome["failed"] == 0
    assert outcome["answered_within_1s"] == outcome["checks"] >= 6, outcome


def test_a_request_past_its_budget_is_answered_as_json_not_dropped(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(4)
            self.send_response(404)
            self.end_headers()

    env = server_env(
        tmp_path / "db.sqlite3",
        ORIGINCHECK_FETCH_ALLOW_LOOPBACK="true",
        ORIGINCHECK_REQUEST_BUDGET="1.0",
    )
    with http_server(Slow) as slow, gunicorn(env) as base:
        started = time.monotonic()
        response = requests.post(
            base + "/api/v1/check", json={"url": slow + "/photo.jpg"}, timeout=10
        )
        took = time.monotonic() - started
    assert response.status_code == 503 and took < 2.5, took
    assert response.json()["error"]["code"] == "request_timeout"
    assert response.headers["Retry-After"]
