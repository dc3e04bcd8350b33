"""OriginCheck: is this image a known fake? Flask application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect

from . import config as settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.update(settings.conventional_env())
    app.config.from_prefixed_env("ORIGINCHECK")
    if test_config:
        app.config.update(test_config)
    settings.finish(app.config, app.instance_path)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import (
        api,
        auth,
        cache,
        checks,
        cli,
        db,
        errors,
        limits,
        moderation,
        moderation_api,
        moderation_store,
        store,
        submit,
        web,
    )

    db.init_app(app)
    store.init_app(app)
    moderation_store.init_app(app)
    cache.init_app(app)
    checks.init_app(app)
    limits.init_app(app)
    errors.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    for blueprint in (api.bp, web.bp, submit.bp, moderation_api.bp, moderation.bp):
        app.register_blueprint(blueprint)
    # Forms carry CSRF tokens; the JSON API is exempt because it never trusts cookies
    # (public endpoints, or Bearer tokens only).
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)
    csrf.exempt(moderation_api.bp)
    csrf.exempt(submit.create)
    csrf.exempt(submit.bulk)

    @app.after_request
    def name_worker(response: Response) -> Response:
        # Which process answered: lets operators (and tests) see every worker's view.
        response.headers["X-OriginCheck-Worker"] = str(os.getpid())
        return response

    return app
