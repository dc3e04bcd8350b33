"""Who a client is, and how much of the service it may use (Flask-Limiter).

Limits are per client address: the socket's peer, or, behind ``PROXY_HOPS`` trusted
reverse proxies, the address those proxies saw (``X-Forwarded-For``, read by
Werkzeug's ProxyFix in the factory). Counters live in Redis when ``REDIS_URL`` is
set, so every worker and node shares them; in memory otherwise.
"""

from __future__ import annotations

import hmac

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def check_limit() -> str:
    return current_app.config["RATELIMIT_CHECK"]


def client_key() -> str:
    """A keyed hash of the client's address: enough to tell readers apart (one say per
    reader, idempotency keys per sender), never enough to find them."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, get_remote_address().encode(), "sha256").hexdigest()


def init_app(app: Flask) -> None:
    limiter.init_app(app)
