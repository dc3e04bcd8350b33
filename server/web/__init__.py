"""The HTML pages: the public check page and entries, the report form, moderation.

Server-rendered with the templates in ``server/templates``; every form carries a
CSRF token (Flask-WTF) and is validated by the same records as the JSON API.
"""

from __future__ import annotations

from flask import Flask

from . import check, moderation, submit

BLUEPRINTS = (check.bp, submit.bp, moderation.bp)


def init_app(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.add_template_filter(timecode)


def timecode(seconds: float | None) -> str:
    """1:23 or 1:02:03, as video players write times."""
    if seconds is None:
        return "?"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"
