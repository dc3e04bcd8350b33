"""Decode + stage-1 hashing cost per image, and a whole check through the Flask app.

Test images are real corpus photos (bench/.cache/corpus) upscaled to 1 MP and 12 MP
with mild noise, so the JPEG entropy (what decoding costs) resembles a camera photo.
Compared side by side: the naive pipeline (full decode + PDQ on the full image),
the bare cost of decoding at reduced size (``draft``) in colour and in greyscale,
and ours (``server.matching.decode`` + ``server.matching.hashing.query_fingerprint``), alone and with
the SHA-256 of the bytes that a check computes first, as its cache key. A check
decodes in greyscale, so the greyscale decode is its floor; the colour decode is what
any pipeline that keeps colour pays before hashing anything.
Run: .venv/bin/python bench/speed/hashing.py
"""

from __future__ import annotations

import hashlib
import io
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from server import create_app  # noqa: E402
from server.matching.decode import decode, draft_size  # noqa: E402
from server.matching.hashing import query_fingerprint  # noqa: E402
from server.store.db import upgrade  # noqa: E402

CORPUS = ROOT / "bench" / ".cache" / "corpus"
SIZES = {"1 MP": (1224, 816), "12 MP": (4240, 2832)}
#: Rounds over the six images; 1 MP calls are cheap, so they get more for a steadier median.
REPEAT = {"1 MP": 60, "12 MP": 15}


def camera_like(path: Path, size: tuple[int, int], seed: int) -> bytes:
    image = Image.open(path).convert("RGB").resize(size, Image.Resampling.BICUBIC)
    noise = np.random.default_rng(seed).normal(0, 6, (size[1], size[0], 3))
    pixels = np.clip(np.asarray(image, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=88)
    return out.getvalue()


def naive(data: bytes) -> None:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pdqhash.compute(np.asarray(image))


def draft(mode: str) -> Callable[[bytes], None]:
    def decode_only(data: bytes) -> None:
        """libjpeg decoding at the very DCT scale ``server.decode`` picks, and nothing else."""
        image = Image.open(io.BytesIO(data))
        image.draft(mode, draft_size(*image.size))
        image.load()

    return decode_only


def with_cache_key(data: bytes) -> None:
    """Ours as a check pays it: the SHA-256 of the bytes (the cache key), then decode +
    stage-1 hashes."""
    query_fingerprint(data, decode(data, max_pixels=60_000_000, grey=True))


def ours(cache_keys: dict[bytes, str]) -> Callable[[bytes], None]:
    """Decode + stage-1 hashes, the issue's definition. The check path computes the
    SHA-256 before decoding, as the cache key that cached repeats pay too, and passes it
    in (``checks._fresh_body``); here it comes from ``cache_keys``."""

    def decode_and_hash(data: bytes) -> None:
        query_fingerprint(data, decode(data, max_pixels=60_000_000, grey=True), cache_keys[data])

    return decode_and_hash


def timed_ms(fns: list, images: list[bytes], repeat: int) -> np.ndarray:  # type: ignore[type-arg]
    """Milliseconds per call, (functions, rounds x images), calls interleaved image by
    image so that a drift of the machine's speed during the run moves every column alike
    (the ratios are the point). The order is shuffled for every image: whichever runs
    right after a decode of the same JPEG finds its bytes and libjpeg's tables warm, and
    a rotating order (runs of 2026-11-25) kept each column behind the same neighbour, which
    moved a ratio by up to 0.08."""
    rng = np.random.default_rng(0)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for data in images:
            for i in rng.permutation(len(fns)):
                started = time.perf_counter()
                fns[i](data)
                times[i].append((time.perf_counter() - started) * 1000)
    return np.array(times)


def main() -> None:
    photos = sorted(CORPUS.glob("gcompris-*.png"))[:3] + sorted(CORPUS.glob("opencv-*.png"))[:3]
    if not photos:
        sys.exit("no corpus: run bash bench/setup first")
    print(f"{platform.machine()}, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    print(
        "\n| image | naive (full decode + PDQ) | colour decode at reduced size "
        "| grey decode at reduced size (floor) | ours (grey decode + all stage-1 hashes) "
        "| ours + SHA-256 cache key | ours vs naive | ours vs floor "
        "| ours + SHA-256 vs floor | ours + SHA-256 vs colour decode |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    sample: list[bytes] = []
    for label, size in SIZES.items():
        images = [camera_like(p, size, i) for i, p in enumerate(photos)]
        sample = sample or images
        keys = {data: hashlib.sha256(data).hexdigest() for data in images}
        fns = [naive, draft("RGB"), draft("L"), ours(keys), with_cache_key]
        times = timed_ms(fns, images, REPEAT[label])
        slow, colour, floor, mine, keyed = np.median(times, axis=1)
        # Each call of ours over the floor's call on the same image in the same round:
        # how far apart the middle half of those pairs lie shows the machine's noise.
        low, high = np.percentile(times[3] / times[2], [25, 75])
        print(
            f"| {label} JPEG | {slow:.1f} ms | {colour:.1f} ms | {floor:.1f} ms | {mine:.1f} ms "
            f"| {keyed:.1f} ms | {slow / mine:.1f}x faster "
            f"| {mine / floor:.2f}x (pairs {low:.2f}-{high:.2f}) | {keyed / floor:.2f}x "
            f"| {keyed / colour:.2f}x |"
        )

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/b.sqlite3",
                "RATELIMIT_ENABLED": False,
                "SECRET_KEY": secrets.token_hex(32),
            }
        )
        upgrade(app)
        app.test_cli_runner().invoke(args=["demo-data"])
        client = app.test_client()
        times, cached = [], []
        for round_ in range(REPEAT["12 MP"]):
            for i, data in enumerate(sample):
                unique = data + bytes([round_, i])  # trailing bytes: new SHA-256, same picture
                for bucket, body in ((times, unique), (cached, unique)):
                    started = time.perf_counter()
                    response = client.post(
                        "/api/v1/check", data={"image": (io.BytesIO(body), "a.jpg")}
                    )
                    bucket.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.data
        print(
            f"\nWhole check of a 1 MP JPEG through the Flask app (in process, demo index): "
            f"p50 {statistics.median(times):.1f} ms, p90 {statistics.quantiles(times, n=10)[-1]:.1f} ms; "
            f"cached repeat p50 {statistics.median(cached):.1f} ms"
        )


if __name__ == "__main__":
    main()
