"""A last-resort time budget per request, answered in the API's own shape.

Every slow path has its own bound (fetches, page checks, bulk lines, the database),
but a request must never outlive gunicorn's worker timeout and end as gunicorn's HTML
500 or a dropped connection (reliability review P9). Under gevent, the request's
greenlet is interrupted at ``REQUEST_BUDGET`` seconds wherever it waits, and the
client gets a 503 it can retry: JSON under ``/api/``, a short page elsewhere.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def with_deadline(app: WSGIApp, seconds: float) -> WSGIApp:
    """``app`` with a per-request deadline when running under gevent, else ``app``."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("socket"):
        return app
    import gevent

    def bounded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        timer = gevent.Timeout(seconds)
        timer.start()
        try:
            return app(environ, start_response)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            path = environ.get("PATH_INFO", "")
            log.warning("request over its %s s budget: %s", seconds, path)
            return _timed_out(path, start_response)
        finally:
            timer.close()

    return bounded


def _timed_out(path: str, start_response: Callable[..., Any]) -> list[bytes]:
    message = "This request took too long and was stopped; try again shortly."
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": "request_timeout", "message": message}}).encode()
        kind = "application/json"
    else:
        body = message.encode()
        kind = "text/plain; charset=utf-8"
    start_response(
        "503 Service Unavailable",
        [("Content-Type", kind), ("Content-Length", str(len(body))), ("Retry-After", "5")],
    )
    return [body]
