"""One error shape for the JSON API: ``{"error": {"code", "message"}}`` with a 4xx.

Every refusal (``server.errors.ApiError``, ``ImageError``, ``FetchError``) becomes
that shape. An unreachable database answers 503 (retry later); unexpected failures
still answer JSON (500) under the API prefix.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from ..errors import ApiError
from ..fetch import FetchError
from ..matching.decode import ImageError
from ..store import DuplicateImage

log = logging.getLogger(__name__)


def error_response(code: str, message: str, status: int) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


def _is_api() -> bool:
    return request.path.startswith("/api/")


def _page(status: int, message: str):  # type: ignore[no-untyped-def]
    """A page for people: the web room's styled page (``origincheck.error_page``, set by
    ``web.init_app``; this room does not import that one), or plain text without it."""
    render = current_app.extensions.get("origincheck.error_page")
    return render(status, message) if render else (message, status)


def _routed(exc: MethodNotAllowed) -> bool:
    """Whether some route really serves this path with another method. Werkzeug also
    answers 405 when the path only looks like a route's (an id out of range): that is a
    404."""
    try:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        adapter.match(method=(exc.valid_methods or ["GET"])[0])
    except NotFound:
        return False
    except HTTPException:
        return True
    return True


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    @app.errorhandler(ImageError)
    @app.errorhandler(FetchError)
    def known(exc: ApiError | ImageError | FetchError):  # type: ignore[no-untyped-def]
        if not _is_api():
            return _page(exc.status, exc.message)
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(DuplicateImage)
    def duplicate(exc: DuplicateImage):  # type: ignore[no-untyped-def]
        message = f"This image is already stored, in entry {exc.entry_id}; merge into it instead."
        return error_response("duplicate_image", message, 409)

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException):  # type: ignore[no-untyped-def]
        if not _is_api():
            if exc.code is None or exc.code < 400:
                return exc  # a redirect raised as an exception, not an error
            return _page(exc.code, exc.description or exc.name)
        if isinstance(exc, MethodNotAllowed) and not _routed(exc):
            exc = NotFound()
        code = (exc.name or "error").lower().replace(" ", "_")
        response, status = error_response(code, exc.description or exc.name, exc.code or 500)
        # The exception's own headers: a 405 says which methods are allowed (RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(OperationalError)
    def store_down(exc: OperationalError):  # type: ignore[no-untyped-def]
        # The database cannot be reached: a 503 tells clients to retry, not to report a bug.
        log.warning("store unavailable on %s: %s", request.path, exc.orig)
        message = "The known-fakes database is unavailable; try again shortly."
        if _is_api():
            return error_response("store_unavailable", message, 503)
        return _page(503, message)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s", request.path)
        if _is_api():
            return error_response("internal_error", "Something went wrong on our side.", 500)
        return _page(500, "Something went wrong on our side. Please try again later.")
