"""One upload, looked up: decode, fingerprint, and find, the way every caller does it.

The check API, the moderators' duplicate hints, bench/accuracy and the tests all go
through ``look_up``, so each of them measures what a reader is told; the decoders it
hands the matcher (a sharper picture, the colour, the words) run only when needed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .decode import decode, decode_check, decode_chroma
from .geometry import scaled
from .hashing import Fingerprint, query_fingerprint
from .index import Snapshot
from .matcher import Found, Thresholds, find
from .text import READ_SIDE, Words, read_words


def look_up(
    data: bytes, snapshot: Snapshot, th: Thresholds, *, max_pixels: int, sha256: str | None = None
) -> tuple[Fingerprint, list[Found] | None]:
    """The fingerprint and every known picture ``data`` shows, best first; None instead
    of matches when it is too flat to fingerprint (``Thresholds.min_quality``). Query
    boxes are in the uploaded image's pixels; reference boxes in the stored picture's
    work picture.

    Raises ``decode.ImageError`` for input that is not a usable image.
    """
    decoded, sharper = decode_check(data, max_pixels=max_pixels)
    fingerprint = query_fingerprint(data, decoded, sha256)
    if fingerprint.quality < th.min_quality:
        return fingerprint, None

    def chroma() -> np.ndarray | None:
        return decode_chroma(data, max_pixels=max_pixels, size=decoded.image.size)

    def words() -> Words | None:
        return read_words(decode(data, max_pixels=max_pixels, work_side=READ_SIDE).image)

    found = find(fingerprint, decoded.image, snapshot, th, sharper, chroma, words)
    factor = fingerprint.width / decoded.image.width
    return fingerprint, [_in_pixels_of_upload(f, factor) for f in found]


def _in_pixels_of_upload(f: Found, factor: float) -> Found:
    """``f`` with its query-side boxes in the uploaded image's pixels (the matcher works
    on a smaller picture), as readers and the extension outline them."""
    return replace(
        f,
        query_box=scaled(f.query_box, factor) if f.query_box else None,
        shown_at=scaled(f.shown_at, factor) if f.shown_at else None,
    )
