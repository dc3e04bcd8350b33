"""Prepare a known image for the store: decode, fingerprint, thumbnail."""

from __future__ import annotations

import io

from PIL import Image

from .decode import decode
from .hashing import reference_fingerprint
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
    )


def thumbnail_jpeg(image: Image.Image) -> bytes:
    """A small JPEG for side-by-side display; the original bytes are not kept."""
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()
