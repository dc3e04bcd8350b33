"""Gunicorn settings, read automatically from the working directory (the Procfile's web).

Worker model: gevent, chosen by measurement (bench/hostile/slowloris.py, SECURITY.md):
with 200 connections trickling headers, sync and gthread workers answered 0 of 20
normal checks within 1 s, gevent 20 of 20 (p50 8 ms). A check is CPU for ~10-40 ms
and otherwise waits (the database, Redis, a URL), which is what greenlets are for.

Each worker builds its own app (no preload): the in-memory index and database
connections must not be shared across a fork. Workers die with their master
(``PR_SET_PDEATHSIG``): after a kill -9 of the master no orphan keeps the port, so a
supervisor's restart binds at once (reliability review P4).
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gevent"
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
bind = f"0.0.0.0:{os.environ['PORT']}" if os.environ.get("PORT") else "127.0.0.1:8000"
timeout = 30  # only a worker stuck in CPU misses its heartbeat; waits yield under gevent
graceful_timeout = 10
keepalive = 5
accesslog = "-"


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """Ask the kernel to stop this worker when the master dies."""
    from server.orphans import die_with_parent

    die_with_parent(server.pid)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Warm each worker (indexes loaded, one check run) before it accepts requests."""
    from server.checks import warm_up

    warm_up(worker.wsgi)
