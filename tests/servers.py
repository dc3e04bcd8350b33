"""Real servers for end-to-end tests on loopback ports: gunicorn running the app, and
plain HTTP servers standing in for the web pages and images the app and the extension fetch."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` quietly on a free loopback port; yields the base URL."""
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def dies_with_the_tests() -> None:
    """``preexec_fn`` of every server or worker a test starts: the kernel kills the child
    when the test process dies, even by SIGKILL or a timeout. An orphaned ``flask worker``
    would otherwise go on taking later runs' jobs from the shared Redis queue."""
    PR_SET_PDEATHSIG = 1  # noqa: N806 - <linux/prctl.h>
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def job_worker(env: dict[str, str]) -> subprocess.Popen:  # type: ignore[type-arg]
    """``flask worker`` as production runs it, in a session of its own: ``stop_session``
    reaches the forked work-horse of a running job as well (RQ gives the horse a process
    group of its own, so a kill of the worker's group misses it)."""
    return subprocess.Popen(
        [BIN / "flask", "--app", "server", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=dies_with_the_tests,
        start_new_session=True,
    )


def stop_session(process: subprocess.Popen, sig: int) -> None:  # type: ignore[type-arg]
    """Send ``sig`` to every process of ``process``'s session (it leads one)."""
    for pid in in_session(process.pid):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def in_session(session: int) -> list[int]:
    """The live processes of a session (zombies are dead: their parent has not reaped
    them yet)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[3]) == session and fields[0] != "Z":  # state, ppid, pgrp, session
            found.append(int(stat.parent.name))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database: Path | str, **extra: str) -> dict[str, str]:
    """The environment a server process gets: a SQLite file (a Path) or a database URL;
    no Redis and no rate limits unless ``extra`` sets them."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}" if isinstance(database, Path) else database,
        "ORIGINCHECK_RATELIMIT_ENABLED": "false",
        "ORIGINCHECK_EXPOSE_WORKER": "true",
        "ORIGINCHECK_SECRET_KEY": secrets.token_hex(32),
    }
    env.pop("REDIS_URL", None)
    return {**env, **extra}


def create_user(env: dict[str, str], email: str, role: str, name: str = "Maria") -> None:
    """An account made by the operator's CLI; every test account's password is the same."""
    flask(
        env, "create-user", "--email", email, "--name", name, "--role", role, "--password", PASSWORD
    )


PASSWORD = "a long passphrase"


def flask(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app server ARGS`` as an operator would; returns its output."""
    done = subprocess.run(
        [BIN / "flask", "--app", "server", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Start gunicorn on a free loopback port; yields its base URL."""
    flask(env, "init-db")
    port = free_port()
    log = tempfile.TemporaryFile()  # a pipe nobody reads would fill and stall the server
    process = subprocess.Popen(
        [
            BIN / "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "server:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log,
        preexec_fn=dies_with_the_tests,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/api/v1/health", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(log.read().decode()) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()
