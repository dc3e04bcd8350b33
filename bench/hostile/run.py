"""Replay every attack of the 2026-12 security and reliability reviews against a server.

Starts gunicorn as the Procfile runs it (gevent workers, 2 by default) in the production
configuration: PostgreSQL and Redis (each behind a relay that can hang or refuse), rate
limits on, a real secret key. The URL fetcher may reach loopback, as in the reviews'
own second instance, so that slow and hostile "remote" servers can be played here.
For each attack, a prober sends an ordinary check (a fresh 640x480 JPEG) four times a
second; the table gives what the attack sent, the 5xx it got, the workers that died
(processes that stopped answering, seen through X-OriginCheck-Worker), and the p50 /
p99 of the ordinary checks meanwhile.

Run: .venv/bin/python bench/hostile/run.py [--seconds 10] [--only NAME ...]
Needs PostgreSQL and Redis on loopback (ORIGINCHECK_TEST_POSTGRES_URL / _REDIS_URL).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.hostile import payloads  # noqa: E402
from bench.hostile.faults import TcpRelay  # noqa: E402
from bench.hostile.slowloris import trickle  # noqa: E402

POSTGRES = os.environ.get(
    "ORIGINCHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("ORIGINCHECK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BIN = ROOT / ".venv" / "bin"


class Hostile(BaseHTTPRequestHandler):
    """The attacker's web server: slow images, slow headers, a page of 30 slow images."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/slowpage"):
            body = "".join(f'<img src="/slow/{n}.jpg">' for n in range(30)).encode()
        elif self.path.startswith("/bigpage"):
            body = payloads.many_images_page(70_000)
        else:  # /slow...: hold the connection, trickle nothing useful
            time.sleep(8)
            body = b""
        try:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass


def normal_image(n: int) -> bytes:
    picture = Image.effect_noise((640, 480), 50).convert("RGB")
    picture.putpixel((0, 0), (n % 256, n // 256 % 256, 7))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


class Prober:
    """An ordinary reader checking an image four times a second during an attack."""

    def __init__(self, base: str, address: str) -> None:
        self.base, self.address = base, address  # a reader of its own, per attack
        self.answers: list[tuple[bool, float]] = []  # (answered 200, seconds)
        self.pids: set[str | None] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            started = time.monotonic()
            try:
                response = requests.post(
                    self.base + "/api/v1/check",
                    files={"image": ("p.jpg", normal_image(n))},
                    headers={"X-Forwarded-For": self.address},
                    timeout=40,
                )
                self.pids.add(response.headers.get("X-OriginCheck-Worker"))
                self.answers.append((response.status_code == 200, time.monotonic() - started))
            except requests.RequestException:
                self.answers.append((False, time.monotonic() - started))
            self._stop.wait(max(0.0, 0.25 - (time.monotonic() - started)))

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=45)


class Attack:
    def __init__(self) -> None:
        self.sent = 0
        self.server_errors = 0
        self.lock = threading.Lock()

    def count(self, status: int | None) -> None:
        with self.lock:
            self.sent += 1
            if status is None or status >= 500:
                self.server_errors += 1


def flood(seconds: float, workers: int, send: Callable[[int], int | None]) -> Attack:
    """``workers`` loops calling ``send(n)`` for ``seconds``; each returns a status."""
    attack = Attack()
    deadline = time.monotonic() + seconds

    def loop(k: int) -> None:
        n = k
        while time.monotonic() < deadline:
            try:
                attack.count(send(n))
            except requests.RequestException:
                attack.count(None)
            n += workers

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(loop, range(workers)))
    return attack


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    seconds = args.seconds

    hostile = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=hostile.serve_forever, daemon=True).start()
    evil = f"http://127.0.0.1:{hostile.server_address[1]}"

    pg, rd = urlsplit(POSTGRES), urlsplit(REDIS)
    db_relay, cache_relay = (
        TcpRelay(pg.hostname, pg.port or 5432),
        TcpRelay(rd.hostname, rd.port or 6379),
    )
    state = Path(tempfile.mkdtemp())
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{db_relay.port}{pg.path}",
        "REDIS_URL": f"redis://127.0.0.1:{cache_relay.port}{rd.path}",
        "ORIGINCHECK_SECRET_KEY": secrets.token_hex(32),
        "ORIGINCHECK_FETCH_ALLOW_LOOPBACK": "true",
        "ORIGINCHECK_EXPOSE_WORKER": "true",
        "ORIGINCHECK_PROXY_HOPS": "1",  # lets each attack loop play another client
        "ORIGINCHECK_SUBMISSIONS_QUOTA_BYTES": str(64 * 1024 * 1024),
    }
    subprocess.run(
        [
            "psql",
            "-q",
            "-h",
            pg.hostname or "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            pg.path.strip("/"),
            "-c",
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [BIN / "flask", "--app", "server", "init-db"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [BIN / "flask", "--app", "server", "demo-data"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    token = (
        subprocess.run(
            [BIN / "flask", "--app", "server", "create-token", "--role", "moderator"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    moderator = {"Authorization": f"Bearer {token}"}
    log = open(state / "gunicorn.log", "w")  # noqa: SIM115
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
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    _wait(base)

    def client(n: int) -> dict[str, str]:
        return {"X-Forwarded-For": f"203.0.113.{n % 250 + 1}"}

    bomb = payloads.scan_bomb(6320, 4000)
    heavy = payloads.heavy_png(40.0)
    attacks: dict[str, tuple[str, Callable[[], Attack]]] = {
        "scan-bomb": (
            "F1: progressive JPEGs of 4,000 empty scans, 2 at a time",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/check",
                        files={"image": ("b.jpg", bomb + n.to_bytes(4, "big"))},
                        headers=client(n),
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "hostile-reports-then-queue": (
            "F2/P3: scan bombs and 20 MB images reported, then the queue listed",
            lambda: _reports_then_queue(base, moderator, bomb, seconds),
        ),
        "slowloris": (
            "F3: 200 connections trickling headers",
            lambda: _slowloris(base, seconds),
        ),
        "head-check": (
            "F5: HEAD / with an image or a URL to fetch",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.head(
                        base + "/",
                        data={"url": "http://10.0.0.1/"} if n % 2 else None,
                        files=None if n % 2 else {"image": ("a.jpg", normal_image(n))},
                        timeout=10,
                    ).status_code
                ),
            ),
        ),
        "slow-post-check": (
            "F6a: check a post of 30 images that each hang 8 s",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/check-page",
                        json={"url": evil + f"/slowpage?{n}"},
                        headers=moderator,
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "70000-img-page": (
            "F6b: check a post of 70,000 <img> tags",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/check-page",
                        json={"url": evil + f"/bigpage?{n}"},
                        headers=moderator,
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "slow-bulk": (
            "F6c: bulk of 10 lines whose images hang",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/submissions/bulk",
                        data="\n".join(
                            json.dumps({"image_url": evil + f"/slow/{n}-{k}.jpg"})
                            for k in range(10)
                        ),
                        headers=moderator,
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "slow-url-flood": (
            "F7a: checks of URLs that hang, 2 loops, one client",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/check",
                        json={"url": evil + f"/slow/{n}.jpg"},
                        headers=client(7),
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "40mp-flood": (
            "F7b: 40 MP PNGs, unique bytes, 2 loops, one client",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/check",
                        files={"image": ("h.png", heavy + n.to_bytes(4, "big"))},
                        headers=client(8),
                        timeout=40,
                    ).status_code
                ),
            ),
        ),
        "bad-input": (
            "F11: nested JSON, ids past 2^31, NUL bytes, 2,000+ char URLs, slivers",
            lambda: _bad_input(base, moderator, seconds),
        ),
        "cross-site-feedback": (
            "F15: 'doesn't match' from another site's origin",
            lambda: flood(
                seconds,
                2,
                lambda n: (
                    requests.post(
                        base + "/api/v1/feedback",
                        json={"verdict": "not_a_match", "entry_id": 1},
                        headers={"Origin": "https://evil.example", **client(n)},
                        timeout=10,
                    ).status_code
                ),
            ),
        ),
        "redis-killed": (
            "P1: Redis refusing connections",
            lambda: _fault(cache_relay.refuse, cache_relay.restore, base, seconds),
        ),
        "redis-hung": (
            "P1: Redis accepting and never answering",
            lambda: _fault(cache_relay.hang, cache_relay.restore, base, seconds),
        ),
        "postgres-hung": (
            "P2: PostgreSQL accepting and never answering",
            lambda: _fault(db_relay.hang, db_relay.restore, base, seconds),
        ),
    }
    rows = []
    try:
        for number, (name, (what, run)) in enumerate(attacks.items()):
            if args.only and name not in args.only:
                continue
            with Prober(base, f"192.0.2.{number + 1}") as prober:
                attack = run()
            time.sleep(1)
            alive = _alive_workers(base, prober.pids)
            rows.append(_row(name, what, attack, prober, alive))
            print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        db_relay.close()
        cache_relay.close()
        hostile.shutdown()
    print()
    print(
        f"`bench/hostile/run.py --seconds {seconds:g}`, {time.strftime('%Y-%m-%d')}, "
        f"{platform.machine()}, {os.cpu_count()} cores, gunicorn gevent x2, PostgreSQL + Redis"
    )
    print()
    print(
        "| attack | what | requests sent | 5xx | workers killed | normal checks during it: answered / sent, p50, p99 |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row)


def _row(name: str, what: str, attack: Attack, prober: Prober, killed: int) -> str:
    seconds = sorted(t for _, t in prober.answers)
    answered = sum(1 for ok, _ in prober.answers if ok)
    p50 = statistics.median(seconds) * 1000 if seconds else float("nan")
    p99 = (
        seconds[min(len(seconds) - 1, int(0.99 * len(seconds)))] * 1000 if seconds else float("nan")
    )
    return (
        f"| {name} | {what} | {attack.sent} | {attack.server_errors} | {killed} | "
        f"{answered} / {len(prober.answers)}, {p50:.0f} ms, {p99:.0f} ms |"
    )


def _alive_workers(base: str, seen: set[str | None]) -> int:
    """Workers seen during the attack that no longer answer (killed and replaced)."""
    now = set()
    for n in range(20):
        try:
            response = requests.post(
                base + "/api/v1/check",
                files={"image": ("p.jpg", normal_image(10_000 + n))},
                timeout=10,
            )
            now.add(response.headers.get("X-OriginCheck-Worker"))
        except requests.RequestException:
            pass
    return len({pid for pid in seen if pid} - now)


def _reports_then_queue(
    base: str, moderator: dict[str, str], bomb: bytes, seconds: float
) -> Attack:
    big = payloads.heavy_png(16.0)
    first = flood(
        seconds / 2,
        2,
        lambda n: (
            requests.post(
                base + "/api/v1/submissions",
                files={"image": ("x", (bomb if n % 2 else big) + n.to_bytes(4, "big"))},
                data={"claim": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"},
                timeout=40,
            ).status_code
        ),
    )
    then = flood(
        seconds / 2,
        2,
        lambda n: (
            requests.get(
                base + "/api/v1/submissions?status=open&limit=200", headers=moderator, timeout=40
            ).status_code
        ),
    )
    first.sent += then.sent
    first.server_errors += then.server_errors
    return first


def _slowloris(base: str, seconds: float) -> Attack:
    parts = urlsplit(base)
    stop = threading.Event()
    for _ in range(200):
        threading.Thread(
            target=trickle, args=(parts.hostname, parts.port, stop, 2.0), daemon=True
        ).start()
    time.sleep(seconds)
    stop.set()
    attack = Attack()
    attack.sent = 200
    return attack


def _bad_input(base: str, moderator: dict[str, str], seconds: float) -> Attack:
    thin = io.BytesIO()
    Image.new("L", (100_000, 1)).save(thin, "PNG")
    requests_to_send: list[Callable[[], requests.Response]] = [
        lambda: requests.post(
            base + "/api/v1/check",
            data=payloads.nested_json(),
            headers={"Content-Type": "application/json"},
            timeout=10,
        ),
        lambda: requests.patch(
            base + "/api/v1/entries/1",
            data=payloads.nested_json(),
            headers={"Content-Type": "application/json", **moderator},
            timeout=10,
        ),
        lambda: requests.get(base + f"/api/v1/entries/{2**31}", timeout=10),
        lambda: requests.get(base + f"/entries/{2**70}", timeout=10),
        lambda: requests.get(base + "/api/v1/entries?q=%00", timeout=10),
        lambda: requests.post(
            base + "/api/v1/feedback", json={"verdict": "helpful", "entry_id": 2**63}, timeout=10
        ),
        lambda: requests.post(
            base + "/api/v1/submissions",
            json={"image_url": "https://e.org/" + "a" * 2100},
            timeout=10,
        ),
        lambda: requests.post(
            base + "/api/v1/submissions",
            json={"image_url": "https://e.org/a.jpg", "claim": "a\u0000b"},
            timeout=10,
        ),
        lambda: requests.post(
            base + "/api/v1/check", files={"image": ("t.png", thin.getvalue())}, timeout=10
        ),
    ]
    return flood(seconds, 2, lambda n: requests_to_send[n % len(requests_to_send)]().status_code)


def _fault(
    start: Callable[[], None], stop: Callable[[], None], base: str, seconds: float
) -> Attack:
    start()
    try:
        time.sleep(seconds)
    finally:
        stop()
    time.sleep(2)  # recovery is part of the test: the prober keeps going
    return Attack()


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/v1/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
