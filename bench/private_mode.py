"""Private mode (the extension matching on the device) against the server's check.

Three measurements, as issue 19 asks:

1. **Recall per edit family.** Half of the corpus (bench/.cache/corpus) is stored as
   known fakes exactly as the server stores them (``references.prepare``); the other
   half are distractors. Every photo of both halves is edited in every way of the
   accuracy benchmark (bench/accuracy/edits.py) and looked up twice:
   - *private*: the query's hashes as the device computes them (the eight orientations
     of the whole picture and of it without flat bands) against the stored *core* hashes that
     ``/api/v1/fingerprints`` sends, nearest entry within 40 bits ("likely") or 48
     ("may be"). The device's hash is the server's query hash of the same pixels
     (tests/extension/test_pdq_js.py, which also holds lib/trim.js to the server's bands)
     and within 4 bits of it for the same file (tests/e2e/test_device_hash.py), so the
     server's hashing stands in for the browser's here.
   - *server stage 1*: every query hash (whole and trimmed) against all 17 stored
     hashes within 40 bits: what the server's check finds before stage 2 (whose extra
     recall bench/accuracy/answers.py measures).
   A false hit is a distractor (or a wrong entry) within the threshold. With all 17
   hashes on the device (a bank that fits), private mode's lookup *is* stage 1's.
2. **The download**: a bank of N entries (one image each, random hashes) in SQLite; a
   first sync through ``/api/v1/fingerprints`` (every page, as the extension follows
   them), its size as sent and gzip-compressed, and a later sync after 100 changes; with
   the core hashes and with all 17 (what the device takes while they fit its limit).
3. **A lookup on the device**: ``lib/bank-match.js`` in Node over N entries' core hashes,
   eight orientations per query.

Run: .venv/bin/python bench/private_mode.py [--limit 200] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "accuracy"))
from edits import FAMILIES, apply, jpeg  # noqa: E402

from bench.speed.startup import PER_IMAGE, fill  # noqa: E402
from server import create_app  # noqa: E402
from server.config import DEFAULTS  # noqa: E402
from server.matching.decode import decode_check  # noqa: E402
from server.matching.hashing import query_fingerprint  # noqa: E402
from server.references import prepare  # noqa: E402
from server.store import models as m  # noqa: E402
from server.store.db import get_engine, upgrade  # noqa: E402
from server.store.entries import CORE_VARIANTS  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"
MAX_PIXELS = 50_000_000
LIKELY = DEFAULTS["MATCH_THRESHOLD"]
POSSIBLE = DEFAULTS["POSSIBLE_MATCH_THRESHOLD"]


def stack(codes: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(codes), np.uint8).reshape(-1, 32)


def nearest(queries: np.ndarray, codes: np.ndarray, owners: np.ndarray) -> tuple[int, int]:
    """(entry, distance) of the stored hash nearest to any query hash."""
    distances = np.unpackbits(queries[:, None, :] ^ codes[None, :, :], axis=2).sum(axis=2)
    flat = int(distances.argmin())
    return int(owners[flat % len(codes)]), int(distances.flat[flat])


def accuracy(limit: int) -> dict[str, dict[str, float]]:
    photos = sorted(CORPUS.iterdir())[:limit]
    known = photos[::2]
    core, core_owner, every, every_owner = [], [], [], []
    for number, path in enumerate(known):
        stored = prepare(
            jpeg(Image.open(path).convert("RGB"), 92), role="original", max_pixels=MAX_PIXELS
        )
        for name, code in stored.fingerprint.hashes:
            every.append(code)
            every_owner.append(number)
            if name in CORE_VARIANTS:
                core.append(code)
                core_owner.append(number)
    core_codes, core_owners = stack(core), np.array(core_owner)
    all_codes, all_owners = stack(every), np.array(every_owner)
    print(f"bank: {len(known)} known photos, {len(core)} core / {len(every)} hashes", flush=True)
    tally: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for number, path in enumerate(photos):
        own = number // 2 if number % 2 == 0 else None
        image = Image.open(path).convert("RGB")
        tried = 0
        for family, edits in FAMILIES.items():
            for edit in edits.values():
                tried += 1
                data = apply(edit, image, seed=number * 1000 + tried)
                row = tally[family]
                row["known" if own is not None else "distractors"] += 1
                try:
                    decoded, _ = decode_check(data, max_pixels=MAX_PIXELS)
                    fp = query_fingerprint(data, decoded)
                except Exception:  # noqa: BLE001 - an edit that breaks the file is a miss
                    continue
                query = stack([code for _, code in fp.hashes])
                for method, (entry, distance) in (
                    ("private", nearest(query, core_codes, core_owners)),
                    ("stage1", nearest(query, all_codes, all_owners)),
                ):
                    for level, threshold in (("likely", LIKELY), ("possible", POSSIBLE)):
                        if distance > threshold:
                            continue
                        if own is not None and entry == own:
                            row[f"{method}-{level}"] += 1
                        else:
                            row[f"{method}-{level}-false"] += 1
        print(f"  {number + 1}/{len(photos)} photos", end="\r", flush=True)
    print()
    return {family: dict(row) for family, row in tally.items()}


def download(entries: int, variants: str) -> dict[str, float]:
    """A first sync and a later one of a bank of ``entries`` entries, through the API."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bank.sqlite3"
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "RATELIMIT_ENABLED": False}
        )
        upgrade(app)
        engine = get_engine(app)
        fill(engine, entries * PER_IMAGE, entries=entries)
        with engine.begin() as conn:
            conn.execute(insert(m.IndexChange), [{"entry_id": None}])
        client = app.test_client()

        def sync(since: int) -> tuple[int, int, int, float, int]:
            started = time.perf_counter()
            page = f"/api/v1/fingerprints?since={since}&variants={variants}"
            sent = packed = count = 0
            while page:
                answer = client.get(page)
                body = answer.get_data()
                sent += len(body)
                packed += len(gzip.compress(body, 6))
                data = json.loads(body)
                count += len(data["entries"])
                page = data["next"] and data["next"].removeprefix("http://localhost")
            return sent, packed, count, time.perf_counter() - started, data["version"]

        sent, packed, count, took, version = sync(0)
        store = app.extensions["origincheck.store"]
        for entry in random.Random(5).sample(range(1, entries + 1), 100):
            store.set_status(entry, "retracted" if entry % 2 else "published")
        later = sync(version)
    return {
        "entries": count,
        "first_bytes": sent,
        "first_gzip_bytes": packed,
        "first_seconds": took,
        "later_bytes": later[0],
        "later_gzip_bytes": later[1],
        "later_seconds": later[3],
    }


LOOKUP = """
import { nearest, toWords } from %s;
const [entries, perEntry] = process.argv.slice(1).map(Number);
const words = new Uint32Array(entries * perEntry * 8);
for (let i = 0; i < words.length; i++) words[i] = (Math.random() * 2 ** 32) >>> 0;
const query = () => Array.from({ length: 8 }, () =>
  toWords([...Array(64)].map(() => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('')));
const times = [];
for (let i = 0; i < 25; i++) {
  const q = query();
  const started = performance.now();
  nearest(q, words, 48);
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ median_ms: times[12], p95_ms: times[23] }));
"""


def lookup(entries: int, per_entry: float) -> dict[str, float]:
    module = json.dumps((ROOT / "extension" / "lib" / "bank-match.js").as_uri())
    answer = subprocess.run(
        ["node", "--input-type=module", "-e", LOOKUP % module, str(entries), str(per_entry)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=200, help="photos (half known)")
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit("no corpus: run bash bench/setup first")
    if not shutil.which("node"):
        sys.exit("node is needed for the lookup timing")
    report: dict[str, object] = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores",
        "python": platform.python_version(),
    }
    sizes = [int(s) for s in args.sizes.split(",")]
    report["download"] = {
        f"{n} {variants}": download(n, variants) for n in sizes for variants in ("core", "all")
    }
    print(json.dumps(report["download"], indent=1), flush=True)
    # Hashes per entry: core (3-4 per image: whole, trimmed, two centre crops) or all 17.
    report["lookup"] = {
        f"{n} {v}": lookup(n, k) for n in sizes for v, k in (("core", 4), ("all", 17))
    }
    print(json.dumps(report["lookup"], indent=1), flush=True)
    report["accuracy"] = accuracy(args.limit)
    print(json.dumps(report["accuracy"], indent=1))
    (HERE / "private_mode.json").write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
