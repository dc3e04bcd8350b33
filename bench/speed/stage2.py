"""Stage 2's descriptor search with 100,000 stored images (~45 M ORB descriptors).

The corpus has 740 photos, so the stored images are random windows (30–100 % of the
area) of 700 of them, each enlarged to the 512 px work size as the server stores
pictures; the 40 photos left out are the queries that match nothing. Planted
queries are stored images edited the way copies are (an 80 % window, shrunk to 60 %,
JPEG quality 60). The descriptor index is what the server builds with a stored
quantizer (``server.matching.features.Quantizer``, ``flask train-quantizer``): 16,384 lists
sampled from the bank (``--lists``), each image's list numbers computed once. Descriptors and
list numbers are cached in bench/.cache (about 2 GB at 100 k images).

Per query: ORB extraction plus ``FeatureIndex.search`` (quantizer, list scan, votes,
MAGSAC++ on at most five candidates), one thread, for several probe counts.
Run: .venv/bin/python bench/speed/stage2.py [--images 100000]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import faiss
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from server.matching import features  # noqa: E402
from server.matching.features import FeatureIndex, Features, Quantizer, extract  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
PHOTOS = sorted((CACHE / "corpus").glob("*.png"))
HELD_OUT = 40  # photos never stored: the no-match queries


def stored_picture(number: int) -> Image.Image:
    """Stored image ``number``: a seeded random window of a corpus photo, 512 px long side."""
    rng = np.random.default_rng(number)
    bank = PHOTOS[HELD_OUT:]
    photo = Image.open(bank[number % len(bank)]).convert("RGB")
    area = rng.uniform(0.3, 1.0)
    fw = min(1.0, float(np.sqrt(area) * rng.uniform(0.8, 1.2)))
    fh = min(1.0, area / fw)
    w, h = max(32, int(photo.width * fw)), max(32, int(photo.height * fh))
    x, y = int(rng.integers(0, photo.width - w + 1)), int(rng.integers(0, photo.height - h + 1))
    window = photo.crop((x, y, x + w, y + h))
    scale = 512 / max(window.size)
    return window.resize((max(1, round(w * scale)), max(1, round(h * scale))))


def same_photo(a: int, b: int) -> bool:
    """Stored images cut from the same photo: ~140 per photo at 100 k, overlapping windows,
    so a copy's votes spread over them and the one it was made from need not win."""
    return a % (len(PHOTOS) - HELD_OUT) == b % (len(PHOTOS) - HELD_OUT)


def stored_features(number: int) -> Features:
    return extract(stored_picture(number))


def copy_of(picture: Image.Image, seed: int) -> Image.Image:
    """An 80 % window, shrunk to 60 %, re-encoded at JPEG quality 60."""
    rng = np.random.default_rng(seed)
    w, h = picture.size
    cw, ch = int(w * 0.8), int(h * 0.8)
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    window = picture.crop((x, y, x + cw, y + ch)).resize((int(cw * 0.6), int(ch * 0.6)))
    out = io.BytesIO()
    window.save(out, "JPEG", quality=60)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def bank(images: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(descriptors, xy, counts) of every stored image, computed once and cached."""
    paths = [CACHE / f"stage2-{images}-{part}.npy" for part in ("descriptors", "xy", "counts")]
    if not all(p.exists() for p in paths):
        started = time.perf_counter()
        with Pool(2) as pool:
            found = pool.map(stored_features, range(images), chunksize=100)
        np.save(paths[0], np.concatenate([f.descriptors for f in found]))
        np.save(paths[1], np.concatenate([f.xy for f in found]))
        np.save(paths[2], np.array([len(f) for f in found]))
        print(f"extracted {images:,} stored images in {time.perf_counter() - started:.0f} s")
    return tuple(np.load(p, mmap_mode="r") for p in paths)  # type: ignore[return-value]


def list_numbers(
    descriptors: np.ndarray, images: int, lists: int, rounds: int
) -> tuple[Quantizer, np.ndarray, float]:
    """The stored quantizer and every descriptor's list, as ``train-quantizer`` makes them
    (``rounds`` of centroid moves: ``features.MAJORITY_ROUNDS``, 0 for sampled centroids)."""
    path = CACHE / f"stage2-{images}-lists{lists}-rounds{rounds}.npz"
    if path.exists():
        saved = np.load(path)
        return Quantizer(1, saved["centroids"]), saved["numbers"], float(saved["seconds"])
    started = time.perf_counter()
    sample = np.asarray(descriptors[:: max(1, len(descriptors) // 1_000_000)])
    faiss.omp_set_num_threads(2)  # a one-off job, like the CLI command
    quantizer = Quantizer(1, Quantizer.train(sample, lists, rounds))
    numbers = np.concatenate(
        [
            quantizer.assign(np.asarray(descriptors[i : i + 1_000_000]))
            for i in range(0, len(descriptors), 1_000_000)
        ]
    )
    faiss.omp_set_num_threads(1)
    seconds = time.perf_counter() - started
    np.savez(path, centroids=quantizer.centroids, numbers=numbers, seconds=seconds)
    return quantizer, numbers, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--probes", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--lists", type=int, default=features.QUANTIZER_LISTS)
    parser.add_argument(
        "--rounds", type=int, default=features.MAJORITY_ROUNDS, help="0: sampled centroids"
    )
    parser.add_argument("--baselines", action="store_true", help="also exact and k-means IVF")
    args = parser.parse_args()
    if len(PHOTOS) <= HELD_OUT:
        sys.exit("no corpus: run bash bench/setup first")

    descriptors, xy, counts = bank(args.images)
    quantizer, numbers, train_seconds = list_numbers(
        descriptors, args.images, args.lists, args.rounds
    )
    sizes = np.bincount(numbers, minlength=args.lists).astype(np.float64)
    # What a probe costs on average: a keypoint lands in a list about as often as the
    # bank does, so long lists are scanned more often than their share (1.0 = even).
    imbalance = (sizes**2).sum() * args.lists / sizes.sum() ** 2
    started = time.perf_counter()
    ends = np.cumsum(counts)
    images = []
    for number, (end, count) in enumerate(zip(ends, counts, strict=True)):
        rows = slice(int(end - count), int(end))
        stored = Features(np.asarray(xy[rows]), np.asarray(descriptors[rows]), numbers[rows])
        images.append((number, number, stored))

    def keypoints(number: int) -> Features:  # the server reads these from the store
        rows = slice(int(ends[number] - counts[number]), int(ends[number]))
        return Features(np.array(xy[rows]), np.array(descriptors[rows]))

    index = FeatureIndex(images, quantizer, keypoints)
    held = index._index.ntotal * (32 + 8) + index._owner.nbytes  # type: ignore[union-attr]
    build = time.perf_counter() - started

    rng = np.random.default_rng(5)
    planted = [int(n) for n in rng.choice(args.images, args.queries, replace=False)]
    copies = [extract(copy_of(stored_picture(n), n)) for n in planted]
    strangers = [
        extract(Image.open(p).convert("RGB").resize((512, 384))) for p in PHOTOS[:HELD_OUT]
    ]
    print(
        f"{args.images:,} stored images, {len(descriptors):,} descriptors, {len(quantizer.centroids):,} "
        f"lists ({args.rounds} majority rounds, list imbalance {imbalance:.2f}); "
        f"quantizer + list numbers {train_seconds:.0f} s once (2 threads); "
        f"index build {build:.1f} s; the index holds {held / 2**30:.2f} GiB (codes and ids in "
        f"the lists, owners; keypoints are read back for verification); raw descriptors "
        f"{descriptors.nbytes / 2**30:.2f} GiB; peak RSS of this process {peak_rss_gib():.1f} GiB"
    )
    print()
    print(
        "| probes per descriptor | copies found (12+ inliers on a window of the same photo) | copies: p50 / p90 | no-match: p50 / p90 | no-match: false candidates |"
    )
    print("|---|---|---|---|---|")
    rows: list[tuple[str, FeatureIndex]] = [(str(p), index) for p in args.probes]
    if args.baselines:  # slow at 100 k: exact search reads every descriptor per query
        rows.append(("k-means IVF per worker (before), 8", FeatureIndex(images)))
        features.IVF_ABOVE = len(descriptors) + 1
        rows.append(("exact (flat)", FeatureIndex(images)))
    for label, searched in rows:
        if label.isdigit():
            searched._index.nprobe = int(label)  # type: ignore[union-attr]
        found, copy_ms, stranger_ms, false = 0, [], [], 0
        for number, query in zip(planted, copies, strict=True):
            t = time.perf_counter()
            candidates = searched.search(query, features.MIN_VOTES)
            copy_ms.append((time.perf_counter() - t) * 1000)
            found += any(same_photo(c.image_id, number) for c in candidates)
        for query in strangers:
            t = time.perf_counter()
            false += len(searched.search(query, features.MIN_VOTES))
            stranger_ms.append((time.perf_counter() - t) * 1000)
        print(
            f"| {label} | {found / len(planted):.3f} | {pct(copy_ms, 50):.1f} / {pct(copy_ms, 90):.1f} ms "
            f"| {pct(stranger_ms, 50):.1f} / {pct(stranger_ms, 90):.1f} ms | {false} |"
        )
    index._index.nprobe = features.QUANTIZER_PROBES  # type: ignore[union-attr]
    print()
    print(whole_checks(index))


def whole_checks(index: FeatureIndex) -> str:
    """What the server does for an upload that matches nothing, with this stage 2 index.

    Camera-like 1 MP JPEGs of the held-out photos: decode, stage-1 hashes, an empty
    hash index, then stage 2 in full (pictures inside, their hashes, ORB extraction,
    the search, verification of any candidate).
    """
    from bench.speed.hashing import camera_like
    from server.config import DEFAULTS
    from server.matching.decode import decode_check
    from server.matching.hashing import query_fingerprint
    from server.matching.index import HashIndex, Snapshot
    from server.matching.matcher import Thresholds, find
    from server.matching.source import IndexRows

    empty = IndexRows(
        np.zeros((0, 32), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64), [], 0
    )
    snapshot = Snapshot(HashIndex(empty), index, lambda _: None)
    th = Thresholds.from_config(DEFAULTS)
    uploads = [camera_like(p, (1224, 816), i) for i, p in enumerate(PHOTOS[:HELD_OUT])]
    took, wrong = [], 0
    for _ in range(3):
        for data in uploads:
            t = time.perf_counter()
            decoded, sharper = decode_check(data, max_pixels=60_000_000)
            fp = query_fingerprint(data, decoded)
            wrong += len(find(fp, decoded.image, snapshot, th, sharper=sharper))
            took.append((time.perf_counter() - t) * 1000)
    return (
        f"Whole check of a 1 MP upload that matches nothing (decode, hashes, stage 2 in full, "
        f"{features.QUANTIZER_PROBES} probes): p50 {statistics.median(took):.1f} ms, "
        f"p90 {pct(took, 90):.1f} ms over {len(took)} checks; answers other than no match: {wrong}"
    )


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def pct(values: list[float], q: int) -> float:
    return float(np.percentile(values, q))


if __name__ == "__main__":
    main()
