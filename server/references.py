"""Prepare a known image for the store: decode, fingerprint, local features, thumbnail."""

from __future__ import annotations

import io

from PIL import Image

from .matching.decode import decode
from .matching.features import extract
from .matching.hashing import reference_fingerprint
from .store import NewImage

THUMBNAIL_SIDE = 320


def prepare(data: bytes, *, role: str, max_pixels: int, source_url: str | None = None) -> NewImage:
    """Everything stored for one image; raises ImageError for unusable input."""
    decoded = decode(data, max_pixels=max_pixels)
    return NewImage(
        fingerprint=reference_fingerprint(data, decoded),
        thumbnail=thumbnail_jpeg(decoded.image),
        role=role,
        source_url=source_url,
        features=extract(decoded.image),
        work_jpeg=jpeg(decoded.image, 90),
    )


def thumbnail_jpeg(image: Image.Image) -> bytes:
    """A small JPEG for side-by-side display."""
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return jpeg(thumb, 82)


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
