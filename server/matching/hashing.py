"""Perceptual fingerprints of an image: what a query sends and what a reference stores.

PDQ (Meta's 256-bit hash) is the matcher: it has a quality score that tells when an
image is too flat to fingerprint, and its eight dihedral variants (rotations and
flips) come from one DCT (``pdq.py``). Stored images also get pHash and dHash
(imagehash), for display and interchange; checks skip them. References store PDQ
hashes of several crops so that a cropped copy still lands near one of them; queries
are hashed as published and with flat bands trimmed, in all eight orientations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from dataclasses import dataclass, field

import imagehash
import numpy as np
from PIL import Image

from .decode import Decoded
from .pdq import DIHEDRAL, luma_hashes, luminance, pdq_hashes
from .trim import band_box, trim

#: Longest side of the picture the hashes are computed on (see ``hash_picture``).
HASH_SIDE = 320

#: pHash and dHash shrink to 32 and 9 pixels with a Lanczos filter whose cost grows with
#: the input; from about 64 pixels on, a bigger input buys nothing but time.
SECONDARY_SIDE = 64


@dataclass(frozen=True)
class Fingerprint:
    """Everything computed from one upload; ``hashes`` go to the index."""

    sha256: str
    pdq: str
    quality: int
    width: int
    height: int
    format: str
    trimmed: bool
    #: (variant name, 32-byte PDQ) pairs.
    hashes: list[tuple[str, bytes]] = field(repr=False)
    #: Stored images only: nothing matches on them, and a check has no use for them.
    phash: str | None = None
    dhash: str | None = None
    #: Where the hashed regions are, in work-picture pixels: "full" and "trimmed" for a
    #: query; "content" (what a stored picture is, without the frame it circulated in)
    #: and "trimmed" (the content without flat bands) for a stored one.
    boxes: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)


def secondary_hashes(image: Image.Image) -> tuple[str, str]:
    """imagehash's pHash and dHash, for display and interchange (never for matching)."""
    grey = image.convert("L")
    factor = max(grey.size) // SECONDARY_SIDE
    if factor > 1:
        grey = grey.reduce(factor)
    return str(imagehash.phash(grey)), str(imagehash.dhash(grey))


def hash_picture(image: Image.Image) -> Image.Image:
    """The work picture shrunk by a whole factor to at most ``HASH_SIDE`` (box filter).

    PDQ reduces every picture to 64 x 64 before its DCT, so a few hundred pixels carry
    all it uses: hashing the 500 px work picture of a 12 MP photo cost twice as much
    for the same recall. Going down to 160 px lost stage-1 recall on captions, borders
    and screenshots, where trim needs the detail (bench/accuracy, BENCHMARKS.md).
    """
    factor = math.ceil(max(image.size) / HASH_SIDE)
    return image.reduce(factor) if factor > 1 else image


def query_fingerprint(data: bytes, decoded: Decoded, sha256: str | None = None) -> Fingerprint:
    """Hashes to look up: the image as published and trimmed, in every orientation.

    ``sha256`` may be passed when the caller already has it (the check path computes it
    first, for the cache key).
    """
    small = hash_picture(decoded.image)
    factor = decoded.image.width / small.width
    luma = luminance(small)
    full, quality = luma_hashes(luma)
    hashes = [(name, h) for name, h in zip(DIHEDRAL, full, strict=True)]
    box = band_box(luma)
    trimmed = _cut(luma, box)
    if trimmed is not luma:
        cut, _ = luma_hashes(trimmed)
        hashes += [(f"trimmed+{name}", h) for name, h in zip(DIHEDRAL, cut, strict=True)]
    fingerprint = _fingerprint(data, decoded, full[0], quality, hashes, trimmed is not luma, sha256)
    boxes = {"full": (0, 0, decoded.image.width, decoded.image.height), "trimmed": _up(box, factor)}
    return dataclasses.replace(fingerprint, boxes=boxes)


def picture_hashes(
    image: Image.Image, boxes: list[tuple[int, int, int, int]], min_quality: int
) -> list[tuple[str, bytes]]:
    """Hashes of the pictures found inside a query (``regions.py``), trimmed, all orientations.

    A picture too flat to fingerprint (a blank panel, a button) is left out: its hash
    would be noise that can land near anything.
    """
    hashes = []
    for number, box in enumerate(boxes, start=1):
        codes, quality = pdq_hashes(hash_picture(trim(image.crop(box))))
        if quality >= min_quality:
            hashes += [
                (f"picture-{number}+{name}", h) for name, h in zip(DIHEDRAL, codes, strict=True)
            ]
    return hashes


def reference_fingerprint(
    data: bytes, decoded: Decoded, content: tuple[int, int, int, int] | None = None
) -> Fingerprint:
    """Hashes to store for a known image: its content, trimmed, and a grid of crops.

    Seventeen PDQ hashes per image (full, trimmed, 90 % and 80 % centres, 2x2 windows
    of 80 %, 3x3 windows of 70 % of the trimmed picture) turn centred and corner crops
    into near matches (see BENCHMARKS.md for what they do and do not catch).
    ``content`` (work-picture pixels) is the picture inside the frame a stored copy
    circulated in (``content.content_box``): only it is hashed, so an innocent picture
    in the same frame has nothing to match.
    """
    image = hash_picture(decoded.image)
    factor = decoded.image.width / image.width
    whole = (0, 0, image.width, image.height)
    inner = _down(content, factor, whole) if content else whole
    luma = _cut(luminance(image), inner)
    (full,), quality = luma_hashes(luma, orientations=1)
    box = band_box(luma)
    trimmed = _cut(luma, box)
    hashes = [("full", full)]
    if trimmed is not luma:
        hashes.append(("trimmed", _upright(trimmed)))
    for name, (left, top, right, bottom) in crop_windows(trimmed.shape[1], trimmed.shape[0]):
        hashes.append((name, _upright(trimmed[top:bottom, left:right])))
    fingerprint = _fingerprint(data, decoded, full, quality, hashes, trimmed is not luma)
    phash, dhash = secondary_hashes(image)
    shifted = (box[0] + inner[0], box[1] + inner[1], box[2] + inner[0], box[3] + inner[1])
    full = (0, 0, decoded.image.width, decoded.image.height)
    boxes = {"content": content or full, "trimmed": _up(shifted, factor)}
    return dataclasses.replace(fingerprint, phash=phash, dhash=dhash, boxes=boxes)


def crop_windows(width: int, height: int) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Crop boxes stored per reference: centres 90 % and 80 %, 2x2 at 80 %, 3x3 at 70 %."""
    boxes = [
        ("centre-90", _window(width, height, 0.9, 0.5, 0.5)),
        ("centre-80", _window(width, height, 0.8, 0.5, 0.5)),
    ]
    for i, fx in enumerate((0.0, 1.0)):
        for j, fy in enumerate((0.0, 1.0)):
            boxes.append((f"window-80-{i}{j}", _window(width, height, 0.8, fx, fy)))
    for i, fx in enumerate((0.0, 0.5, 1.0)):
        for j, fy in enumerate((0.0, 0.5, 1.0)):
            boxes.append((f"window-70-{i}{j}", _window(width, height, 0.7, fx, fy)))
    return boxes


def _window(
    width: int, height: int, share: float, fx: float, fy: float
) -> tuple[int, int, int, int]:
    w, h = max(1, round(width * share)), max(1, round(height * share))
    left, top = round((width - w) * fx), round((height - h) * fy)
    return left, top, left + w, top + h


def _upright(luma: np.ndarray) -> bytes:
    """The PDQ of a stored crop as it is: queries carry every orientation, not references."""
    return luma_hashes(luma, orientations=1)[0][0]


def _cut(luma: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """``luma`` inside ``box`` (the same array when the box is all of it)."""
    left, top, right, bottom = box
    if (left, top, right, bottom) == (0, 0, luma.shape[1], luma.shape[0]):
        return luma
    return luma[top:bottom, left:right]


def _up(box: tuple[int, int, int, int], factor: float) -> tuple[int, int, int, int]:
    """A box of the hash picture in work-picture pixels."""
    return tuple(round(v * factor) for v in box)  # type: ignore[return-value]


def _down(
    box: tuple[int, int, int, int], factor: float, limit: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """A work-picture box in hash-picture pixels, inside ``limit``, never empty."""
    left, top = max(limit[0], round(box[0] / factor)), max(limit[1], round(box[1] / factor))
    right, bottom = min(limit[2], round(box[2] / factor)), min(limit[3], round(box[3] / factor))
    if right - left < 8 or bottom - top < 8:
        return limit
    return left, top, right, bottom


def _fingerprint(
    data: bytes,
    decoded: Decoded,
    pdq: bytes,
    quality: int,
    hashes: list[tuple[str, bytes]],
    trimmed: bool,
    sha256: str | None = None,
) -> Fingerprint:
    return Fingerprint(
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        pdq=pdq.hex(),
        quality=quality,
        width=decoded.width,
        height=decoded.height,
        format=decoded.format,
        trimmed=trimmed,
        hashes=hashes,
    )
