"""Prepare a known image for the store: decode, fingerprint, local features, thumbnail."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from .config import DEFAULTS
from .matching.bank import snapshot
from .matching.content import content_box
from .matching.decode import Decoded, decode, decode_check
from .matching.features import Features, extract
from .matching.geometry import Box, area, scaled
from .matching.hashing import query_fingerprint, reference_fingerprint
from .matching.matcher import Thresholds, find
from .matching.text import READ_SIDE, read_words
from .matching.text import available as text_reader_available
from .provenance import stored_provenance
from .store import NewImage

THUMBNAIL_SIDE = 320
#: A sibling found over more than this share of a copy is the copy itself (a crop, a
#: recompression): the copy keeps all of itself.
MAX_FRAMED_SHARE = 0.85
#: Locating a picture in a copy asks for a confirmed match, hash or keypoints.
_LOCATE = replace(
    Thresholds.from_config(DEFAULTS),
    possible=DEFAULTS["MATCH_THRESHOLD"],
    possible_agreement=DEFAULTS["MIN_AGREEMENT"],
)


@dataclass(frozen=True)
class Upload:
    """One image of an entry as it arrives (an import line's image, a submission)."""

    data: bytes
    role: str
    source_url: str | None = None


def prepare(
    data: bytes,
    *,
    role: str,
    max_pixels: int,
    source_url: str | None = None,
    beside: Sequence[NewImage] = (),
) -> NewImage:
    """Everything stored for one image; raises ImageError for unusable input.

    Only the picture's content is fingerprinted: a copy stored inside the post or player
    it circulated in gives the inner picture's hashes and keypoints, never the frame's,
    which innocent pictures share. ``beside`` are the entry's other images: where the
    reader's own check finds one of them inside this one, that is the content (the
    surest way to know it); otherwise ``content.content_box`` judges from the pixels.
    """
    decoded = decode(data, max_pixels=max_pixels)
    content = shown_inside(data, beside, max_pixels) or content_box(decoded.image)
    fingerprint = reference_fingerprint(data, decoded, content)
    return NewImage(
        fingerprint=fingerprint,
        thumbnail=thumbnail_jpeg(decoded.image),
        role=role,
        source_url=source_url,
        features=extract(decoded.image, fingerprint.boxes["content"]),
        work_jpeg=jpeg(decoded.image, 90),
        frame=_frame(decoded.image, content),
        text=_words(data, content, decoded, max_pixels),
        provenance=stored_provenance(data),
    )


def beside_of(originals: Sequence[bytes], *, max_pixels: int) -> list[NewImage]:
    """An entry's stored originals (``Store.originals_of``), ready to be found in a copy."""
    return [prepare(data, role="original", max_pixels=max_pixels) for data in originals]


def prepare_together(uploads: Sequence[Upload], *, max_pixels: int) -> list[NewImage]:
    """The images of one entry, each copy cut to the original it shows (when the entry
    has an original: its pictures are searched for, never cut themselves)."""
    originals = {
        n: prepare(u.data, role=u.role, max_pixels=max_pixels, source_url=u.source_url)
        for n, u in enumerate(uploads)
        if u.role == "original"
    }
    beside = list(originals.values())
    return [
        originals.get(n)
        or prepare(
            u.data, role=u.role, max_pixels=max_pixels, source_url=u.source_url, beside=beside
        )
        for n, u in enumerate(uploads)
    ]


def shown_inside(data: bytes, beside: Sequence[NewImage], max_pixels: int) -> Box | None:
    """Where a reader's check of ``data`` finds one of ``beside``, when that is a part of
    it (a picture inside a post, a player, a page); None when it is all of it or none."""
    if not beside:
        return None
    picture, sharper = decode_check(data, max_pixels=max_pixels)
    fingerprint = query_fingerprint(data, picture)
    whole = picture.image.width * picture.image.height
    boxes = [
        f.shown_at
        for f in find(fingerprint, picture.image, snapshot([list(beside)]), _LOCATE, sharper)
        if f.confirmed and f.shown_at is not None
    ]
    if not boxes:
        return None
    box = max(boxes, key=area)
    return box if area(box) <= MAX_FRAMED_SHARE * whole else None


def _words(data: bytes, content: Box, decoded: Decoded, max_pixels: int) -> str | None:
    """The words of a picture made of words (none for a photo), read at the reader's
    size from the content region (``matching/text.py``)."""
    if not text_reader_available():
        return None
    large = decode(data, max_pixels=max_pixels, work_side=READ_SIDE).image
    factor = large.width / decoded.image.width
    words = read_words(large, scaled(content, factor))
    return words.text if words is not None and words.dominant else None


def _frame(image: Image.Image, content: Box) -> Features | None:
    """The keypoints around a picture cut out of its frame (none for a whole picture):
    the negative bank keeps them, as material many pictures share."""
    if content == (0, 0, image.width, image.height):
        return None
    keypoints = extract(image)
    left, top, right, bottom = content
    x, y = keypoints.xy[:, 0], keypoints.xy[:, 1]
    outside = (x < left) | (x >= right) | (y < top) | (y >= bottom)
    return keypoints.subset(np.flatnonzero(outside)) if outside.any() else None


def thumbnail_jpeg(image: Image.Image) -> bytes:
    """A small JPEG for side-by-side display."""
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return jpeg(thumb, 82)


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
