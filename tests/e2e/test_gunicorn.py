"""The real stack: gunicorn with two workers on a loopback port, fed by the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from .. import edits
from ..conftest import add_fake, demo_image, make_app
from ..servers import flask, gunicorn, server_env


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    env = server_env(tmp_path / "e2e.sqlite3")
    with gunicorn(env, workers=2) as base:
        yield base, env


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
    assert "1 added" in flask(env, "import", str(tmp_path / "fakes.jsonl"))

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


def test_credentials_are_read_on_gevent_workers_and_hostile_ones_never_stall_them(
    stack,
) -> None:  # type: ignore[no-untyped-def]
    import struct

    from ..signing import AI, make_chain, sign

    base, _ = stack
    signed = sign(edits.jpeg(demo_image("coffee"), 90), make_chain("Gevent News"), source_type=AI)
    junk = b"JP" + bytes(range(256)) * 200
    hostile = signed[:2] + b"\xff\xeb" + struct.pack(">H", len(junk) + 2) + junk + signed[2:]

    def answer(data: bytes) -> dict:  # type: ignore[type-arg]
        response = requests.post(
            base + "/api/v1/check", files={"image": ("x.jpg", data)}, timeout=5
        )
        assert response.status_code == 200
        return response.json()

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(answer, [signed, hostile] * 8))
    for body in bodies[::2]:
        assert body["provenance"]["credentials"]["signer"] == "Gevent News"
        assert body["provenance"]["source_type"]["ai"] is True
    for body in bodies[1::2]:
        assert body["result"] in ("no_match", "match")  # the verdict always comes
