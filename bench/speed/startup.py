"""Worker start-up: load N stored PDQ hashes from the store and build the index.

Fills a fresh SQLite database (or DATABASE_URL) with N random hashes spread over
N/17 images (17 hashes per image, as references store), then times what a worker
does on its first check: ``SqlStore.index_rows()`` + ``HashIndex``.
Run: .venv/bin/python bench/speed/startup.py [--hashes 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from server import create_app  # noqa: E402
from server import models as m  # noqa: E402
from server.db import get_engine, upgrade  # noqa: E402
from server.index import HashIndex  # noqa: E402

PER_IMAGE = 17


def fill(engine, hashes: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    images = hashes // PER_IMAGE
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(m.Entry),
            [
                {
                    "id": 1,
                    "title": "bench",
                    "category": "DecontextualizedContent",
                    "claim": "c",
                    "origin_description": "d",
                    "status": "published",
                    "demo": False,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            ],
        )
        conn.execute(
            insert(m.Image),
            [
                {
                    "id": i + 1,
                    "entry_id": 1,
                    "role": "original",
                    "sha256": f"{i:064x}",
                    "width": 1,
                    "height": 1,
                    "format": "JPEG",
                    "pdq": "0" * 64,
                    "pdq_quality": 100,
                    "phash": "0" * 16,
                    "dhash": "0" * 16,
                    "thumbnail": b"",
                    "created_at": now,
                }
                for i in range(images)
            ],
        )
        codes = rng.integers(0, 256, size=(images * PER_IMAGE, 32), dtype=np.uint8)
        batch = 50_000
        for start in range(0, len(codes), batch):
            conn.execute(
                insert(m.ImageHash),
                [
                    {
                        "image_id": start // PER_IMAGE + k // PER_IMAGE + 1,
                        "variant": "full",
                        "pdq": codes[start + k].tobytes(),
                    }
                    for k in range(min(batch, len(codes) - start))
                ],
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hashes", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/startup.sqlite3"
        app = create_app({"DATABASE_URL": url})
        upgrade(app)
        started = time.perf_counter()
        fill(get_engine(app), args.hashes)
        filled = time.perf_counter() - started
        store = app.extensions["origincheck.store"]
        times = []
        for _ in range(3):
            started = time.perf_counter()
            index = HashIndex(store.index_rows())
            times.append(time.perf_counter() - started)
        print(
            f"{len(index):,} hashes ({args.hashes // PER_IMAGE:,} images) on {url.split(':')[0]}: "
            f"load + build {min(times):.2f} s best of 3 (fill took {filled:.0f} s)"
        )


if __name__ == "__main__":
    main()
