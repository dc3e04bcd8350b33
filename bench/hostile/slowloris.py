"""Slow clients against a running server: do normal checks still answer within 1 s?

Opens N connections that each send a request line and then one header line every few
seconds (never finishing), and meanwhile checks a real image once a second. Prints
how many normal checks answered, and their latencies. Used to choose the worker
model (security review F3: two such connections stopped the sync workers).

Run: .venv/bin/python bench/hostile/slowloris.py http://127.0.0.1:8000 --connections 200
"""

from __future__ import annotations

import argparse
import io
import socket
import statistics
import threading
import time
from urllib.parse import urlsplit

import requests
from PIL import Image


def trickle(host: str, port: int, stop: threading.Event, interval: float) -> None:
    """One slow client: connect, send a request line, then a header line now and then."""
    while not stop.is_set():
        try:
            with socket.create_connection((host, port), timeout=5) as sock:
                sock.sendall(b"POST /api/v1/check HTTP/1.1\r\nHost: x\r\n")
                n = 0
                while not stop.wait(interval):
                    sock.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                    n += 1
        except OSError:
            stop.wait(0.2)  # dropped by the server: reconnect, as an attacker would


def probe_image() -> bytes:
    picture = Image.effect_noise((640, 480), 60).convert("RGB")
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def measure(base: str, connections: int, seconds: float, interval: float) -> dict[str, object]:
    parts = urlsplit(base)
    stop = threading.Event()
    clients = [
        threading.Thread(
            target=trickle, args=(parts.hostname, parts.port, stop, interval), daemon=True
        )
        for _ in range(connections)
    ]
    for client in clients:
        client.start()
    time.sleep(min(3.0, seconds / 4))  # let them all connect and start trickling
    image = probe_image()
    latencies, failures = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            response = requests.post(
                base + "/api/v1/check", files={"image": ("p.jpg", image)}, timeout=10
            )
            response.raise_for_status()
            latencies.append(time.monotonic() - started)
        except requests.RequestException:
            failures += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    stop.set()
    within = sum(1 for t in latencies if t <= 1.0)
    return {
        "connections": connections,
        "checks": len(latencies) + failures,
        "answered_within_1s": within,
        "failed": failures,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    print(measure(args.base, args.connections, args.seconds, args.interval))


if __name__ == "__main__":
    main()
