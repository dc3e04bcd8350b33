"""Radius search over PDQ hashes: our index vs a numpy scan vs FAISS IndexBinaryFlat.

Codes are random 256-bit hashes; each query is a stored code with some bits flipped,
so every search has a true hit. Our index is exact (a flat scan) up to
``MULTI_INDEX_ABOVE`` hashes and a multi-index above it, so its recall is reported by
distance of the planted hit. Random codes are the multi-index's best case for bucket
sizes, so the script also measures how much more real PDQ codes (the accuracy
corpus's reference hashes) collide per 16-bit chunk. A check searches 16 query hashes
at once (published and trimmed, eight orientations each), so both single and batched
searches are timed. Single core.
Run: .venv/bin/python bench/speed/index.py [--sizes 100000 1000000 10000000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "bench" / ".cache" / "corpus"
sys.path.insert(0, str(ROOT))
from server.matching.decode import decode  # noqa: E402
from server.matching.hashing import reference_fingerprint  # noqa: E402
from server.matching.index import TABLES, HashIndex, MultiIndex  # noqa: E402
from server.matching.source import IndexRows  # noqa: E402

RADIUS = 52
faiss.omp_set_num_threads(1)


def numpy_scan(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The obvious baseline: XOR + popcount over the row-major table."""
    return np.flatnonzero(np.bitwise_count(codes ^ query).sum(axis=1) <= RADIUS)


def p50(fn, repeat: int = 30) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def planted(codes: np.ndarray, bits: int, rng: np.random.Generator) -> tuple[int, bytes]:
    row = int(rng.integers(len(codes)))
    unpacked = np.unpackbits(codes[row])
    unpacked[rng.choice(256, bits, replace=False)] ^= 1
    return row, np.packbits(unpacked).tobytes()


def real_code_collisions() -> str:
    """Chunk collisions of real PDQ codes relative to random ones (1.0 = as random).

    The multi-index reads the codes in the query's buckets, so its cost scales with
    the chance that two unrelated codes share a 16-bit chunk. Real codes are the
    stored hashes (17 per photo) of the accuracy corpus; pairs from the same photo
    are left out: they are near copies, not load.
    """
    photos = sorted(CORPUS.glob("*.png"))
    if not photos:
        return "real-code collisions: no corpus (run bash bench/setup)"
    codes, owners = [], []
    for number, path in enumerate(photos):
        out = io.BytesIO()
        Image.open(path).convert("RGB").save(out, "JPEG", quality=92)
        data = out.getvalue()
        for _, code in reference_fingerprint(data, decode(data, max_pixels=60_000_000)).hashes:
            codes.append(np.frombuffer(code, np.uint8))
            owners.append(number)
    keys = MultiIndex._keys(np.stack(codes))
    owner = np.array(owners)

    def pairs_sharing(columns: list[np.ndarray]) -> int:
        _, counts = np.unique(np.stack(columns, axis=1), axis=0, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    all_pairs = len(owner) * (len(owner) - 1) // 2
    same_photo_pairs = pairs_sharing([owner])
    ratios = []
    for t in range(TABLES):
        unrelated = pairs_sharing([keys[:, t]]) - pairs_sharing([owner, keys[:, t]])
        ratios.append(unrelated / (all_pairs - same_photo_pairs) * 65536)
    return (
        f"{len(codes):,} stored hashes of {len(photos)} real photos: unrelated codes share a "
        f"16-bit chunk {min(ratios):.1f}–{max(ratios):.1f}x as often as random codes "
        f"(mean {statistics.mean(ratios):.1f}x, tables 1–{TABLES})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--no-real", action="store_true", help="skip the real-code collision count")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print(
        "| hashes | ours, 1 query (distinct) | ours, 16 queries | ours: recall at 20 / 31 / 40 / 52 bits "
        "| numpy row scan, 1 query | FAISS flat, 1 query | FAISS flat, 16 queries "
        "| ours: build / memory |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
        ids = np.arange(n, dtype=np.int64) // 17  # 17 stored hashes per image, as the server
        queries = [planted(codes, 12, rng)[1] for _ in range(16)]
        started = time.perf_counter()
        ours = HashIndex(IndexRows(codes, ids, ids, ["full"] * n, 0))
        build = time.perf_counter() - started
        recall, single = [], []  # single: distinct queries, so no bucket is warm in cache
        for bits in (20, 31, 40, 52):
            hits = 0
            for _ in range(200):
                row, query = planted(codes, bits, rng)
                started = time.perf_counter()
                found = ours.search([query], RADIUS)
                single.append((time.perf_counter() - started) * 1000)
                hits += any(h.image_id == ids[row] for h in found)
            recall.append(hits / 200)
        flat = faiss.IndexBinaryFlat(256)
        flat.add(codes)
        batch = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, 32)
        one = queries[:1]
        assert ours.search(one, RADIUS), "the planted hit must be found"
        row = [
            statistics.median(single),
            p50(lambda: ours.search(queries, RADIUS), 10),
            p50(lambda: numpy_scan(codes, batch[0]), 10),
            p50(lambda: flat.range_search(batch[:1], RADIUS + 1)),
            p50(lambda: flat.range_search(batch, RADIUS + 1), 10),
        ]
        times = [f"{v:.2f} ms" for v in row]
        print(
            f"| {n:,} | {times[0]} | {times[1]} | "
            + " / ".join(f"{r:.3f}" for r in recall)
            + f" | {times[2]} | {times[3]} | {times[4]} | {build:.1f} s / "
            f"{ours.nbytes / 2**20:.0f} MiB ({n * 32 / 2**20:.0f} MiB raw, "
            f"{ours.nbytes / (n * 32):.2f}x) |"
        )
    if not args.no_real:
        print()
        print(real_code_collisions())


if __name__ == "__main__":
    main()
