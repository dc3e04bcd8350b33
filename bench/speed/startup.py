"""Worker start-up: load N stored PDQ hashes from the store and build the index.

Fills a fresh SQLite database (or an empty DATABASE_URL) with N random hashes spread
over N/17 images (17 hashes per image, in the image's row, as references store them),
then times what a worker does on its first check: ``SqlStore.index_rows()`` +
``HashIndex``. With
``--keypoints``, every image also gets 440 random ORB keypoints filed under a stored
16,384-list quantizer, and stage 2's load is timed too: ``SqlStore.feature_rows()``
+ ``FeatureIndex`` (what a worker's full rebuild costs, in the background for banks
this size). With ``--refresh`` as well, a worker's indexes are then built through
``IndexHolder`` and the refresh after a publish and after a retraction of one real
demo photo is timed: what every worker pays for such a write.
Run: .venv/bin/python bench/speed/startup.py [--hashes 1000000] [--keypoints [--refresh]]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from server import create_app  # noqa: E402
from server.matching.features import QUANTIZER_LISTS, FeatureIndex  # noqa: E402
from server.matching.hashing import crop_windows  # noqa: E402
from server.matching.index import HashIndex, IndexHolder  # noqa: E402
from server.records import EntryFields  # noqa: E402
from server.references import prepare  # noqa: E402
from server.store import models as m  # noqa: E402
from server.store.db import get_engine, upgrade  # noqa: E402

DEMO = Path(__file__).resolve().parents[2] / "server" / "demo" / "images"

PER_IMAGE = 17
VARIANTS = ",".join(["full", "trimmed"] + [name for name, _ in crop_windows(100, 100)])
KEYPOINTS = 440  # per image, the corpus average at the 512 px work size


def fill(engine, hashes: int, keypoints: bool = False, entries: int = 1) -> None:  # type: ignore[no-untyped-def]
    """``hashes`` random hashes, 17 per image, the images spread over ``entries``."""
    rng = np.random.default_rng(3)
    images = hashes // PER_IMAGE
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        if keypoints:
            centroids = rng.integers(0, 256, (QUANTIZER_LISTS, 32), dtype=np.uint8)
            conn.execute(
                insert(m.FeatureQuantizer),
                [{"id": 1, "centroids": centroids.tobytes(), "created_at": now}],
            )
        conn.execute(
            insert(m.Entry),
            [
                {
                    "id": e + 1,
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
                for e in range(entries)
            ],
        )
        codes = rng.integers(0, 256, size=(images, PER_IMAGE * 32), dtype=np.uint8)
        conn.execute(
            insert(m.Image),
            [
                {
                    "id": i + 1,
                    "entry_id": i % entries + 1,
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
                    "pdq_codes": codes[i].tobytes(),
                    "pdq_variants": VARIANTS,
                    "created_at": now,
                    **(orb_columns(rng) if keypoints else {}),
                }
                for i in range(images)
            ],
        )


def orb_columns(rng: np.random.Generator) -> dict[str, object]:
    return {
        "orb_xy": rng.random((KEYPOINTS, 2), dtype=np.float32).tobytes(),
        "orb_descriptors": rng.integers(0, 256, (KEYPOINTS, 32), dtype=np.uint8).tobytes(),
        "orb_lists": rng.integers(0, QUANTIZER_LISTS, KEYPOINTS, dtype=np.uint16).tobytes(),
        "orb_quantizer_id": 1,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--keypoints", action="store_true", help="time stage 2's load too")
    parser.add_argument(
        "--refresh", action="store_true", help="with --keypoints: time a publish's refresh"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/startup.sqlite3"
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)})
        upgrade(app)
        started = time.perf_counter()
        fill(get_engine(app), args.hashes, args.keypoints)
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
        if args.keypoints:
            del index
            started = time.perf_counter()
            rows = store.feature_rows()
            loaded = time.perf_counter() - started
            features = FeatureIndex(rows.images, rows.quantizer, store.image_keypoints)
            built = time.perf_counter() - started - loaded
            print(
                f"stage 2: {len(features):,} images x {KEYPOINTS} keypoints: feature_rows() "
                f"{loaded:.1f} s + FeatureIndex {built:.1f} s (one run)"
            )
        if args.keypoints and args.refresh:
            del features, rows
            refresh(app, store)


def refresh(app, store) -> None:  # type: ignore[no-untyped-def]
    """One worker's refresh after a publish and after a retraction (``IndexHolder``)."""
    holder = IndexHolder(store, lambda _: None, poll_interval=0.0)
    started = time.perf_counter()
    snapshot = holder.current()
    print(f"IndexHolder full build, both stages: {time.perf_counter() - started:.1f} s")
    image = prepare(
        (DEMO / "rocket.jpg").read_bytes(),
        role="original",
        max_pixels=app.config["MAX_IMAGE_PIXELS"],
    )
    fields = EntryFields.model_validate(
        {
            "title": "bench publish",
            "category": "DecontextualizedContent",
            "claim": "c",
            "origin": {"description": "d"},
        }
    )
    entry = store.add_entry(fields, [image])
    for label in ("publish of one entry", "retraction of that entry"):
        if label.startswith("retraction"):
            store.set_status(entry, "retracted")
        started = time.perf_counter()
        snapshot = holder._refresh(snapshot, store.index_version())  # what the thread runs
        took = time.perf_counter() - started
        found = snapshot.hashes.search([code for _, code in image.fingerprint.hashes[:1]], 0)
        print(
            f"refresh after a {label}: {took * 1000:.0f} ms "
            f"({len(snapshot.hashes):,} hashes, {len(snapshot.features):,} images; "
            f"the new photo {'found' if found else 'not found'})"
        )


if __name__ == "__main__":
    main()
