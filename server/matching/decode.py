"""Turn untrusted bytes into a small RGB or greyscale picture, or a clear refusal.

Every image the server sees comes from strangers, so decoding is where bombs,
truncated files and disguised formats must stop. Matching only needs a few hundred
pixels per side, so JPEGs are decoded at reduced scale (libjpeg DCT scaling via
``Image.draft``), which is most of the speed of the check path, and the result is
only ever shrunk by a whole factor (``Image.reduce``, a box filter): resampling a
612 px picture to exactly 512 px cost more than decoding it (bench/speed/hashing.py).
A check only ever looks at luminance, so it asks for greyscale: libjpeg then hands
over the JPEG's own luma channel and skips the chroma's inverse DCT, upsampling and
colour conversion, and everything after works on a third of the bytes.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

#: Formats we accept; everything else is refused before any decoder runs.
ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")

#: Progressive JPEGs arrive in scans, and libjpeg decodes every scan over the whole
#: picture: 4,000 empty scans in 338 KB held a worker for 30 s (security review F1).
#: Encoders write 1 (baseline) to about 12 (progressive; mozjpeg tunes its own set);
#: 64 bounds the worst 40 MP decode to about a second.
MAX_JPEG_SCANS = 64

#: Longest side of the picture handed to the hashers is at most this, and more
#: than half of it unless the image is smaller. Queries and references go through
#: the same pipeline, so this is part of the hash definition.
WORK_SIDE = 512

_ORIENTATION = 0x0112  # EXIF tag; values 5-8 turn the picture by 90 degrees

#: Mean distance of Cb and Cr from neutral below which a picture counts as grey.
MIN_CHROMA = 2.0

_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
)


class ImageError(ValueError):
    """An upload that cannot be fingerprinted; carries an API error code and status."""

    def __init__(self, code: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Decoded:
    """A decoded picture ready for hashing, plus what we learnt of the original."""

    image: Image.Image  # RGB or L, longest side in (WORK_SIDE / 2, WORK_SIDE] unless smaller
    format: str
    width: int  # original size, after EXIF orientation
    height: int


def sniff_format(data: bytes) -> str | None:
    """Name the image format from magic bytes; headers and file names are not trusted."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def decode(
    data: bytes, *, max_pixels: int, work_side: int = WORK_SIDE, grey: bool = False
) -> Decoded:
    """Decode ``data`` safely into an RGB (or, with ``grey``, "L") image no larger than
    ``work_side``. Stored images keep their colour for thumbnails; checks pass ``grey``.

    Raises ImageError for empty, unknown, broken, truncated or oversized input.
    """
    if not data:
        raise ImageError("empty_image", "The image is empty (0 bytes).", 400)
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageError(
            "unsupported_image",
            "This is not a JPEG, PNG, GIF, WebP or BMP image.",
            415,
        )
    if fmt == "JPEG" and data.count(b"\xff\xda") > MAX_JPEG_SCANS:
        # Entropy-coded data stuffs every 0xFF with 0x00, so each FF DA is a real
        # start-of-scan marker (or sits in metadata): the count can only overstate.
        raise ImageError(
            "image_too_complex",
            f"This JPEG has more than {MAX_JPEG_SCANS} scans; no camera or editor writes that.",
            422,
        )
    try:
        with warnings.catch_warnings():
            # Pillow only warns between 1x and 2x its pixel limit; we refuse outright.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[fmt])
            width, height = im.size
            if width < 1 or height < 1:
                raise ImageError("image_unreadable", "The image has no pixels.")
            if width * height > max_pixels:
                raise _too_big(width, height, max_pixels)
            if im.format == "JPEG":
                im.draft("L" if grey else "RGB", draft_size(width, height, work_side))
            im.load()  # first frame only for GIF/WebP animations
            orientation = im.getexif().get(_ORIENTATION, 1)
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            if orientation != 1:  # exif_transpose copies the picture even when upright
                im = ImageOps.exif_transpose(im)
            im = _flatten(im, "L" if grey else "RGB")
            factor = math.ceil(max(im.size) / work_side)
            if factor > 1:
                im = im.reduce(factor)
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_big(0, 0, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        # Pillow signals truncated or corrupt data with a zoo of exception types.
        raise ImageError(
            "image_unreadable", f"The {fmt} image could not be decoded: {exc}"
        ) from None
    return Decoded(image=im, format=fmt, width=width, height=height)


def decode_check(data: bytes, *, max_pixels: int) -> tuple[Decoded, Callable[[], Image.Image]]:
    """A check's pictures: the greyscale work picture, and a sharper one (twice the work
    side) that is decoded only if stage 2 finds pictures inside a screenshot
    (``matcher.find``). The server and both benchmarks decode through this one function,
    so the benchmarks measure what the server does."""
    decoded = decode(data, max_pixels=max_pixels, grey=True)

    def sharper() -> Image.Image:
        return decode(data, max_pixels=max_pixels, work_side=2 * WORK_SIDE, grey=True).image

    return decoded, sharper


def work_picture(work_jpeg: bytes) -> np.ndarray:
    """A stored image's greyscale work picture, back from its JPEG (what stage 2 compares)."""
    return np.asarray(Image.open(io.BytesIO(work_jpeg)).convert("L"))


def work_colour(work_jpeg: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """A stored image's work picture as grey levels and colour (``chroma_of``)."""
    image = Image.open(io.BytesIO(work_jpeg))
    image.load()
    return np.asarray(image.convert("L")), chroma_of(image)


def chroma_of(image: Image.Image) -> np.ndarray | None:
    """The picture's colour without its brightness: (height, width, 2) Cb and Cr, or None
    for a picture with no colour to speak of (a greyscale copy carries none to compare)."""
    if image.mode == "L":
        return None
    ycbcr = np.asarray(image.convert("YCbCr"))[..., 1:]
    if float(np.abs(ycbcr.astype(np.int16) - 128).mean()) < MIN_CHROMA:
        return None
    return ycbcr


def decode_chroma(data: bytes, *, max_pixels: int, size: tuple[int, int]) -> np.ndarray | None:
    """A check's colour, decoded only when a candidate's pixels are checked: the grey work
    picture is all that finding candidates needs (``decode_check``)."""
    image = decode(data, max_pixels=max_pixels).image
    if image.size != size:
        image = image.resize(size, Image.Resampling.BILINEAR)
    return chroma_of(image)


def grey_pixels(image: Image.Image) -> np.ndarray:
    """The picture's grey levels as uint8, for OpenCV. A check's picture is already
    greyscale (``grey=True``), and ``convert("L")`` would copy it once more."""
    return np.asarray(image if image.mode == "L" else image.convert("L"))


def draft_size(width: int, height: int, work_side: int = WORK_SIDE) -> tuple[int, int]:
    """What to ask ``Image.draft`` for: the smallest DCT scale whose longest side is
    still over half the work side (draft keeps both sides at least the size asked)."""
    share = (work_side // 2 + 1) / max(width, height)
    return math.ceil(width * share), math.ceil(height * share)


def _flatten(im: Image.Image, mode: str) -> Image.Image:
    """``im`` in ``mode``, transparency flattened onto white so that a transparent logo
    hashes like its page."""
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGB", im.size, (255, 255, 255))
        background.paste(im, mask=im.getchannel("A"))
        im = background
    return im if im.mode == mode else im.convert(mode)


def _too_big(width: int, height: int, max_pixels: int) -> ImageError:
    size = f" ({width}x{height})" if width else ""
    return ImageError(
        "image_too_large",
        f"The image has too many pixels{size}; the limit is {max_pixels:,}.",
        413,
    )
