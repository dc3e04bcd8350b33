"""The HTML pages: the public check page and entries, the report form, moderation.

Server-rendered with the templates in ``server/templates``; every form carries a
CSRF token (Flask-WTF) and is validated by the same records as the JSON API.
"""

from __future__ import annotations

import json

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect

from ..mail import mail_enabled
from ..records import N_
from . import check, i18n, moderation, submit

BLUEPRINTS = (check.bp, submit.bp, moderation.bp)

#: What a person is told for each error, in their terms (the detail follows).
ERROR_TITLES = {
    400: N_("This request could not be understood"),
    401: N_("Please sign in"),
    403: N_("This page is not open to you"),
    404: N_("There is nothing here"),
    405: N_("This page cannot be used that way"),
    410: N_("This is gone"),
    413: N_("This file is too large"),
    415: N_("This kind of file is not supported"),
    422: N_("This could not be used"),
    429: N_("Too many requests"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    i18n.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # Checking an image changes nothing on the server: a stale tab or a blocked cookie
    # must not turn it into a raw "CSRF session token is missing".
    csrf.exempt(check.index)
    app.add_template_filter(timecode)
    app.add_template_filter(readable)
    # Whether mail goes out: forms offer updates by mail, invitations say how they travel.
    app.context_processor(lambda: {"mail_enabled": mail_enabled()})
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


def readable(value: object) -> str:
    """An audited value as people read it: text as it is (Greek stays Greek, not
    ``\\u03a8``), anything else as JSON, and whole (the log used to cut at 80)."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
