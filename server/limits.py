"""Rate limits (Flask-Limiter): Redis storage when REDIS_URL is set, memory otherwise.

Limits are per client address; behind a reverse proxy wrap the app in ProxyFix
with the exact number of proxies, or every client shares one bucket.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)


def check_limit() -> str:
    return current_app.config["RATELIMIT_CHECK"]


def init_app(app: Flask) -> None:
    limiter.init_app(app)
