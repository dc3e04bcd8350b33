"""The JSON API under ``/api/v1``: one blueprint per audience.

``check`` (readers' tools: check, entries, feedback, health, docs), ``submissions``
(volunteers and partners), ``moderation`` (moderators' Bearer-token API). Errors are
always ``{"error": {"code", "message"}}`` (``errors``); request envelopes live in
``schemas`` and the OpenAPI document is built from them (``openapi``).
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import check, errors, moderation, submissions

BLUEPRINTS = (check.bp, submissions.bp, moderation.bp)


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    errors.init_app(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
        # The JSON API never trusts cookies (public endpoints, or Bearer tokens only),
        # so there is nothing for a forged cross-site request to borrow.
        csrf.exempt(blueprint)
