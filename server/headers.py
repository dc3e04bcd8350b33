"""Response headers every page and answer carries: CSP, no framing, no sniffing, HSTS.

The templates hold no inline script or style (a test keeps it so), which is what lets
the policy forbid inline script outright. Moderation pages have one-click actions
(disable, retract, set role), so no page may be framed. HSTS and the ``Secure``
cookie flag are sent when the request came over HTTPS (directly, or through a
trusted proxy: ``PROXY_HOPS``).
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked ``Secure`` whenever the request is HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()
    app.after_request(secure_headers)
    if app.config["EXPOSE_WORKER"]:

        @app.after_request
        def name_worker(response: Response) -> Response:
            # Which process answered: lets tests and operators see every worker's view.
            response.headers["X-OriginCheck-Worker"] = str(os.getpid())
            return response
