"""Background work: RQ on Redis in production, a thread of the process in the embedded default.

Why RQ: it is Redis-only (we already run Redis), small enough to read, the usual pairing
with Flask, and it retries jobs, including those whose worker was killed (its registry
of started jobs notices the missing heartbeat). Celery would bring a broker abstraction
and a scheduler we do not need; Dramatiq would do, but needs middleware for results.

The database, not the queue, is the record of what must be done: a task is a nudge to
bring a row up to date (a submission's candidates, a video's frames), and it is safe to
run twice. ``sweep`` finds rows whose work is overdue and enqueues them again, so work
survives a Redis that lost its memory, a job worker killed mid-task and an embedded
server restarted with a job in its thread. Tasks register with ``@task`` and run inside
the app's context.

Production: ``flask --app server worker`` (the Procfile's ``worker:`` line).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app

from .orphans import die_with_parent

log = logging.getLogger(__name__)

QUEUE = "origincheck"
TASKS: dict[str, Callable[..., None]] = {}
SWEEPS: list[Callable[[], int]] = []


def task(fn: Callable[..., None]) -> Callable[..., None]:
    """Register a background task under its function's name."""
    TASKS[fn.__name__] = fn
    return fn


def sweeper(fn: Callable[[], int]) -> Callable[[], int]:
    """Register a function that enqueues overdue work again; returns how much it found."""
    SWEEPS.append(fn)
    return fn


def enqueue(name: str, *args: Any) -> None:
    """Run task ``name`` in the background: on the RQ queue, or in this process."""
    current_app.extensions["origincheck.jobs"].enqueue(name, args)


def sweep() -> int:
    """Enqueue every row whose work is overdue; returns how many."""
    return sum(found() for found in SWEEPS)


def run(name: str, args: tuple[Any, ...]) -> None:
    """What a job runs (RQ imports this by name): the task, in the app's context."""
    TASKS[name](*args)


class RqQueue:
    """Jobs on Redis, taken by ``flask worker``; retried three times, then failed."""

    def __init__(self, url: str, timeout: int) -> None:
        from redis import Redis
        from rq import Queue

        self._queue = Queue(QUEUE, connection=Redis.from_url(url))
        self._timeout = timeout

    def enqueue(self, name: str, args: tuple[Any, ...]) -> None:
        from rq import Retry

        self._queue.enqueue(
            run,
            name,
            args,
            job_timeout=self._timeout,
            retry=Retry(max=3, interval=[10, 60, 300]),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"{name}{args}",
        )


class InProcess:
    """One background thread of this process, for the embedded default (no Redis).

    A native thread even under gevent: a task is CPU work (decoding, hashing) that a
    greenlet would run without yielding.
    """

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="origincheck-job")

    def enqueue(self, name: str, args: tuple[Any, ...]) -> None:
        self._executor.submit(self._run, name, args)

    def wait(self, timeout: float = 30.0) -> None:
        """Return once every task enqueued so far has run (tests, the CLI)."""
        self._executor.submit(lambda: None).result(timeout=timeout)

    def _run(self, name: str, args: tuple[Any, ...]) -> None:
        with self._app.app_context():
            for attempt in range(3):
                try:
                    run(name, args)
                    return
                except Exception:  # noqa: BLE001 - logged; the sweep retries later too
                    log.exception(
                        "background task %s%s failed (attempt %d)", name, args, attempt + 1
                    )
                    time.sleep(0.5 * (attempt + 1))


def work(app: Flask, *, burst: bool = False, sweep_every: float = 60.0) -> None:
    """Take jobs from the queue until stopped (``flask worker``), sweeping now and then."""
    from redis import Redis
    from rq import Queue, Worker

    connection = Redis.from_url(app.config["REDIS_URL"])
    stop = threading.Event()

    def sweeping() -> None:
        while not stop.is_set():
            with app.app_context():
                try:
                    found = sweep()
                    if found:
                        log.info("sweep: enqueued %d overdue task(s)", found)
                except Exception:  # noqa: BLE001 - the database may be away; try again later
                    log.exception("sweep failed")
            stop.wait(sweep_every)

    # RQ forks a work-horse per job and a scheduler process (retries at their times):
    # both die with this worker (``orphans``). After a kill -9 of the worker its job is
    # retried by the next one, not run twice at once, and no scheduler lingers.
    worker_pid = os.getpid()
    os.register_at_fork(after_in_child=lambda: die_with_parent(worker_pid, signal.SIGKILL))
    threading.Thread(target=sweeping, daemon=True).start()
    try:
        Worker([Queue(QUEUE, connection=connection)], connection=connection).work(
            burst=burst, with_scheduler=True, logging_level="INFO"
        )
    finally:
        stop.set()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["origincheck.jobs"] = (
        RqQueue(url, app.config["JOB_TIMEOUT"]) if url else InProcess(app)
    )
