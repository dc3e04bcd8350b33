"""Gunicorn settings, read automatically from the working directory.

Each worker builds its own app (no preload): the in-memory index and database
connections must not be shared across a fork.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
timeout = 30  # URL fetches are capped well below this (ORIGINCHECK_FETCH_TIMEOUT)
accesslog = "-"


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Warm each worker (indexes loaded, one check run) before it accepts requests."""
    from server.checks import warm_up

    warm_up(worker.wsgi)
