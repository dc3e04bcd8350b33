"""Who a client is, and how much of the service it may use (Flask-Limiter).

Two kinds of limit. Request limits (``RATELIMIT_CHECK`` and friends) count requests.
The work budget (``RATELIMIT_WORK``) counts what requests cost: a megapixel decoded
or a second spent fetching a URL is a unit; an answer from the cache is free. A
client within its request limit could otherwise hold every worker with 40 MP images
or slow URLs (security review F7).

Limits are per client address: the socket's peer, or, behind ``PROXY_HOPS`` trusted
reverse proxies, the address those proxies saw (Werkzeug's ProxyFix in the factory).
Counters live in Redis when ``REDIS_URL`` is set, so every worker and node shares
them; when Redis fails they fall back to memory, never to an error.
"""

from __future__ import annotations

import hmac
import logging
import math

from flask import Flask, current_app, has_request_context
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse

from .errors import ApiError

log = logging.getLogger(__name__)
limiter = Limiter(key_func=get_remote_address)


def check_limit() -> str:
    return current_app.config["RATELIMIT_CHECK"]


def client_key() -> str:
    """A keyed hash of the client's address: enough to tell readers apart (one say per
    reader, idempotency keys per sender), never enough to find them."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, get_remote_address().encode(), "sha256").hexdigest()


def require_work_budget() -> None:
    """Refuse (429) before expensive work when the client has spent its budget."""
    if not _counting():
        return
    item = parse(current_app.config["RATELIMIT_WORK"])
    try:
        allowed = limiter.limiter.test(item, "work", get_remote_address())
    except Exception as exc:  # noqa: BLE001 - a limiter outage must not stop checks
        log.warning("work budget unavailable: %s", exc)
        return
    if not allowed:
        raise ApiError(
            "work_budget_exceeded",
            "You have sent a lot of large images or slow addresses in the last minute; "
            "try again in a minute.",
            429,
        )


def charge_work(units: float) -> None:
    """Count ``units`` of work (megapixels decoded, seconds spent fetching)."""
    if not _counting() or units <= 0:
        return
    item = parse(current_app.config["RATELIMIT_WORK"])
    try:
        limiter.limiter.hit(item, "work", get_remote_address(), cost=max(1, math.ceil(units)))
    except Exception as exc:  # noqa: BLE001
        log.warning("work budget unavailable: %s", exc)


def _counting() -> bool:
    return has_request_context() and bool(current_app.config.get("RATELIMIT_ENABLED", True))


def init_app(app: Flask) -> None:
    limiter.init_app(app)
