"""The real stack: gunicorn with two workers on a loopback port, fed by the CLI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from . import edits
from .conftest import add_fake, demo_image, make_app

ROOT = Path(__file__).parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'e2e.sqlite3'}",
        "ORIGINCHECK_RATELIMIT_ENABLED": "false",
        "WEB_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)
    subprocess.run([BIN / "flask", "--app", "server", "init-db"], env=env, cwd=ROOT, check=True)
    port = free_port()
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "-b",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "server:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/api/v1/health", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(
                        server.stderr.read().decode() if server.poll() else "no start"
                    ) from None
                time.sleep(0.1)
        yield base, env
    finally:
        server.terminate()
        server.wait(timeout=10)


def check(base: str, data: bytes) -> tuple[str, str]:
    response = requests.post(base + "/api/v1/check", files={"image": ("x.jpg", data)}, timeout=5)
    response.raise_for_status()
    return response.headers["X-OriginCheck-Worker"], response.json()["result"]


def test_cli_import_then_match_over_http_then_live_update(stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, env = stack
    demo_image("rocket").save(tmp_path / "trailer-frame.jpg", quality=92)
    line = {
        "title": "Video-game trailer frame published as war evidence",
        "category": "DecontextualizedContent",
        "claim": "Proof of the strike on the convoy.",
        "origin": {"description": "Frame of a game trailer", "url": "https://example.org/trailer"},
        "images": [{"path": "trailer-frame.jpg", "role": "original"}],
    }
    (tmp_path / "fakes.jsonl").write_text(json.dumps(line) + "\n")
    imported = subprocess.run(
        [BIN / "flask", "--app", "server", "import", str(tmp_path / "fakes.jsonl")],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1 added" in imported.stdout

    _, result = check(base, edits.archetype(demo_image("rocket")))
    assert result == "match"

    # Both workers answer "no match" for the coffee copy and cache that answer.
    query = edits.archetype(demo_image("coffee"))
    seen: dict[str, str] = {}
    with ThreadPoolExecutor(4) as pool:
        for _ in range(10):
            for pid, res in pool.map(lambda _: check(base, query), range(8)):
                seen[pid] = res
            if len(seen) == 2:
                break
    assert len(seen) == 2 and set(seen.values()) == {"no_match"}

    # A moderator's change lands in the store; every worker must see it within 1 s.
    add_fake(make_app(env["DATABASE_URL"]), "coffee")
    changed = time.monotonic()
    first_match: dict[str, float] = {}
    with ThreadPoolExecutor(4) as pool:
        while len(first_match) < 2 and time.monotonic() - changed < 3:
            for pid, res in pool.map(lambda _: check(base, query), range(8)):
                if res == "match":
                    first_match.setdefault(pid, time.monotonic() - changed)
    assert set(first_match) == set(seen), f"workers that matched: {first_match}"
    assert max(first_match.values()) < 1.0
