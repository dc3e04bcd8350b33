"""OriginCheck: is this image a known fake? Flask application factory.

The rooms, lowest first (docs/architecture.md): ``records`` (shared record types),
``matching/`` (pixels to candidates), ``provenance/`` (what the file says of its
origin), ``store/`` (the database), the use-cases at
this level (``checks``, ``review``, ``submissions``, ``pagecheck``, ``references``,
with ``cache``, ``fetch``, ``auth``, ``limits``), then ``api/`` and ``web/``. Each
resource is wired here with its ``init_app``; nothing connects at import time.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .deadline import with_deadline


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config.update(settings.conventional_env())
    app.config.from_prefixed_env("ORIGINCHECK")
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    settings.finish(app.config, app.instance_path)
    if app.config["PROXY_HOPS"]:
        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from . import (
        api,
        auth,
        cache,
        checks,
        cli,
        headers,
        inputs,
        jobs,
        limits,
        provenance,
        store,
        web,
    )

    inputs.init_app(app)
    store.init_app(app)
    cache.init_app(app)
    checks.init_app(app)
    provenance.init_app(app)
    jobs.init_app(app)
    limits.init_app(app)
    auth.init_app(app)
    cli.init_app(app)
    # Forms carry CSRF tokens; the JSON API is exempt (api.init_app says why).
    csrf = CSRFProtect(app)
    api.init_app(app, csrf)
    web.init_app(app, csrf)
    headers.init_app(app)
    app.wsgi_app = with_deadline(app.wsgi_app, app.config["REQUEST_BUDGET"])  # type: ignore[method-assign]
    return app
