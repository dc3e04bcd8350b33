"""Radius search over PDQ hashes: our index vs a numpy scan vs FAISS IndexBinaryFlat.

Codes are random 256-bit hashes (real PDQ codes cluster more, which only helps
pruning indexes, not flat scans); each query is a stored code with 12 bits flipped,
so every search has a true hit. A check searches 16 query hashes at once (published
and trimmed, eight orientations each), so both single and batched searches are
timed. Single core. Run: .venv/bin/python bench/speed/index.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from server.index import HashIndex  # noqa: E402
from server.store import IndexRows  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    print(
        "| hashes | ours, 1 query | ours, 16 queries | numpy row scan, 1 query | FAISS flat, 1 query | FAISS flat, 16 queries | ours: build / memory |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
        ids = np.arange(n, dtype=np.int64)
        flips = rng.integers(0, 256, size=(16, 12))
        queries = []
        for row, bits in zip(rng.integers(0, n, size=16), flips, strict=True):
            q = np.unpackbits(codes[row])
            q[bits] ^= 1
            queries.append(np.packbits(q))
        started = time.perf_counter()
        ours = HashIndex(IndexRows(codes, ids, ids, ["full"] * n, 0))
        build = time.perf_counter() - started
        # FAISS keeps the 32-byte codes; we add entry and image ids (8 B each) and a
        # pointer to a shared variant name (8 B): 56 B per hash.
        memory = n * 56 / 2**20
        flat = faiss.IndexBinaryFlat(256)
        flat.add(codes)
        batch = np.stack(queries)
        one = [queries[0].tobytes()]
        sixteen = [q.tobytes() for q in queries]
        assert ours.search(one, RADIUS), "the planted hit must be found"
        row = [
            p50(lambda: ours.search(one, RADIUS)),
            p50(lambda: ours.search(sixteen, RADIUS), 10),
            p50(lambda: numpy_scan(codes, queries[0]), 10),
            p50(lambda: flat.range_search(batch[:1], RADIUS + 1)),
            p50(lambda: flat.range_search(batch, RADIUS + 1), 10),
        ]
        print(
            f"| {n:,} | "
            + " | ".join(f"{v:.2f} ms" for v in row)
            + f" | {build:.2f} s / {memory:.0f} MiB ({n * 32 / 2**20:.0f} MiB raw) |"
        )


if __name__ == "__main__":
    main()
