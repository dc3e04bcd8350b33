"""The moderation queue with 10,000 reports waiting: how long a page and the API take.

Fills a PostgreSQL database with N open reports (each with a stored image, thumbnail
and the candidates a background analysis would have found), then times the queue page
and GET /api/v1/submissions through the app (in process, as a moderator).
Run: .venv/bin/python bench/load/moderation_queue.py [--reports 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.store import get_moderation  # noqa: E402
from server.store import models as m  # noqa: E402
from server.store.db import upgrade  # noqa: E402

POSTGRES = os.environ.get(
    "ORIGINCHECK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def timed(call, rounds: int = 30) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = call()
        assert response.status_code == 200, response.status_code
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args()
    engine = create_engine(POSTGRES)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
    app = create_app({"DATABASE_URL": POSTGRES, "SECRET_KEY": secrets.token_hex(32)})
    upgrade(app)
    image = (ROOT / "server" / "demo" / "images" / "rocket.jpg").read_bytes()
    candidates = json.dumps({"entries": [], "submissions": [{"submission_id": 1, "distance": 3}]})
    started = time.perf_counter()
    with app.app_context():
        engine = get_moderation()._sessions._maker.kw["bind"]  # the app's own engine
        rows = [
            {
                "status": "pending",
                "submitter_label": "anonymous",
                "claim": f"report {n}",
                "evidence_urls": "[]",
                "image": image,
                "image_size": len(image),
                "sha256": f"{n:064x}",
                "pdq": "0" * 64,
                "thumbnail": image[:4000],
                "candidates": candidates,
                "analysis": "done",
            }
            for n in range(args.reports)
        ]
        with engine.begin() as conn:
            for start in range(0, len(rows), 1000):
                conn.execute(insert(m.Submission), rows[start : start + 1000])
        token = get_moderation().create_token("bench", "moderator", 1)
        moderator = get_moderation().create_user(
            "b@example.org", "B", secrets.token_hex(8), "moderator"
        )
    fill = time.perf_counter() - started
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    api50 = timed(lambda: client.get("/api/v1/submissions?status=open", headers=bearer))
    api200 = timed(lambda: client.get("/api/v1/submissions?status=open&limit=200", headers=bearer))
    later = timed(
        lambda: client.get(
            f"/api/v1/submissions?status=open&after={args.reports - 60}", headers=bearer
        )
    )
    with app.app_context():
        session_token = get_moderation().start_session(moderator)
    with client.session_transaction() as session:
        session["_user_id"] = f"{moderator}:{session_token}"
        session["_fresh"] = True
    page = timed(lambda: client.get("/moderation/"))
    print(
        f"{args.reports:,} open reports on PostgreSQL (filled in {fill:.0f} s), "
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores:\n"
    )
    print("| request | p50 | p99 |")
    print("|---|---|---|")
    for label, (p50, p99) in (
        ("GET /api/v1/submissions?status=open (50)", api50),
        ("GET /api/v1/submissions?status=open&limit=200", api200),
        ("GET /api/v1/submissions?…&after= (a late page)", later),
        ("GET /moderation/ (the queue page, 50 rows)", page),
    ):
        print(f"| {label} | {p50:.1f} ms | {p99:.1f} ms |")


if __name__ == "__main__":
    main()
