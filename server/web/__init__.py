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
