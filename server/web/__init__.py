"""The HTML pages: the public check page and entries, the report form, moderation.

Server-rendered with the templates in ``server/templates``; every form carries a
CSRF token (Flask-WTF) and is validated by the same records as the JSON API.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect

from . import check, moderation, submit

BLUEPRINTS = (check.bp, submit.bp, moderation.bp)

#: What a person is told for each error, in their terms (the detail follows).
ERROR_TITLES = {
    400: "This request could not be understood",
    401: "Please sign in",
    403: "This page is not open to you",
    404: "There is nothing here",
    405: "This page cannot be used that way",
    410: "This is gone",
    413: "This file is too large",
    415: "This kind of file is not supported",
    422: "This could not be used",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # Checking an image changes nothing on the server: a stale tab or a blocked cookie
    # must not turn it into a raw "CSRF session token is missing".
    csrf.exempt(check.index)
    app.add_template_filter(timecode)
    app.extensions["origincheck.error_page"] = error_page


def error_page(status: int, message: str) -> tuple[str, int]:
    """The styled page of an error, for ``api.errors`` to answer people with."""
    title = ERROR_TITLES.get(status, "Something went wrong")
    return render_template("error.html", status=status, title=title, message=message), status


def timecode(seconds: float | None) -> str:
    """1:23 or 1:02:03, as video players write times."""
    if seconds is None:
        return "?"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
