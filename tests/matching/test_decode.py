"""Hostile and unusual uploads: every one gets a clear refusal or a sane picture."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from server.matching.decode import ImageError, decode, sniff_format

from ..conftest import demo_bytes, demo_image

LIMIT = 40_000_000


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares a huge canvas: the classic decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 1024)
    body += (
        struct.pack(">I", len(idat))
        + b"IDAT"
        + idat
        + struct.pack(">I", zlib.crc32(b"IDAT" + idat))
    )
    return b"\x89PNG\r\n\x1a\n" + body


def encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **kw)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "empty_image", 400),
        (b"hello, I am a text file named photo.jpg", "unsupported_image", 415),
        (b"%PDF-1.7 not an image", "unsupported_image", 415),
        (demo_bytes("rocket")[:3000], "image_unreadable", 422),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image_unreadable", 422),
        (png_header_only(60_000, 60_000), "image_too_large", 413),
        (png_header_only(100_000, 1), "image_unreadable", 422),
    ],
    ids=["zero-bytes", "text", "pdf", "truncated-jpeg", "garbage-jpeg", "bomb-png", "bad-png"],
)
def test_bad_input_is_refused_with_a_code(data: bytes, code: str, status: int) -> None:
    with pytest.raises(ImageError) as caught:
        decode(data, max_pixels=LIMIT)
    assert caught.value.code == code
    assert caught.value.status == status


def test_tiff_is_not_accepted_even_though_pillow_reads_it() -> None:
    data = encode(Image.new("RGB", (64, 64), "red"), "TIFF")
    with pytest.raises(ImageError) as caught:
        decode(data, max_pixels=LIMIT)
    assert caught.value.status == 415


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP"])
def test_allowed_formats_decode_to_small_rgb(fmt: str) -> None:
    big = Image.new("RGB", (1600, 1200), (30, 120, 200))
    decoded = decode(encode(big, fmt), max_pixels=LIMIT)
    assert decoded.format == fmt
    assert decoded.image.mode == "RGB"
    assert 256 < max(decoded.image.size) <= 512
    assert (decoded.width, decoded.height) == (1600, 1200)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP", "BMP"])
def test_a_check_gets_the_luminance_of_the_colour_picture(fmt: str) -> None:
    """Checks decode greyscale (a JPEG straight to its luma channel): the same picture,
    within rounding, as the colour decode turned grey, so it matches stored hashes."""
    data = encode(demo_image("chelsea").resize((900, 600)), fmt)
    grey = decode(data, max_pixels=LIMIT, grey=True)
    colour = decode(data, max_pixels=LIMIT)
    assert grey.image.mode == "L"
    assert (grey.image.size, grey.width, grey.height) == (colour.image.size, 900, 600)
    difference = np.abs(np.asarray(grey.image, float) - np.asarray(colour.image.convert("L")))
    assert difference.mean() < 1.0


def test_a_grey_check_flattens_transparency_onto_white_too() -> None:
    clear = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    decoded = decode(encode(clear, "PNG"), max_pixels=LIMIT, grey=True)
    assert decoded.image.getpixel((25, 25)) == 255


@pytest.mark.parametrize("side", [300, 513, 1224, 4000])
def test_work_picture_is_over_half_the_work_side_and_keeps_its_shape(side: int) -> None:
    """Only whole-factor shrinking: the picture lands in (256, 512] px, aspect kept."""
    image = Image.new("RGB", (side, side * 2 // 3), (30, 120, 200))
    for fmt in ("JPEG", "PNG"):
        work = decode(encode(image, fmt), max_pixels=LIMIT).image
        assert 256 < work.width <= 512 or work.width == side
        assert abs(work.width / work.height - 1.5) < 0.02


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees on display
    decoded = decode(encode(image, "JPEG", exif=exif), max_pixels=LIMIT)
    assert decoded.image.width < decoded.image.height
    assert (decoded.width, decoded.height) == (200, 400)


def test_transparency_is_flattened_onto_white() -> None:
    clear = Image.new("RGBA", (50, 50), (255, 0, 0, 0))
    decoded = decode(encode(clear, "PNG"), max_pixels=LIMIT)
    assert decoded.image.getpixel((25, 25)) == (255, 255, 255)


def test_animation_uses_first_frame() -> None:
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("blue", "yellow")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    decoded = decode(out.getvalue(), max_pixels=LIMIT)
    r, g, b = decoded.image.getpixel((20, 20))
    assert b > 200 and r < 50


def test_sniffing_ignores_what_the_name_claims() -> None:
    assert sniff_format(demo_bytes("rocket")) == "JPEG"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"<svg xmlns=...>") is None


def test_a_jpeg_of_thousands_of_empty_scans_is_refused_before_decoding() -> None:
    """Security review F1: 4,000 scans in 338 KB held a worker until it was killed."""
    import time

    from bench.hostile.payloads import scan_bomb

    data = scan_bomb(6320, 4000)
    assert len(data) < 400_000
    started = time.perf_counter()
    with pytest.raises(ImageError) as refused:
        decode(data, max_pixels=40_000_000, grey=True)
    assert refused.value.code == "image_too_complex" and refused.value.status == 422
    assert time.perf_counter() - started < 0.1
    # An ordinary progressive JPEG is still decoded.
    progressive = io.BytesIO()
    demo_image("rocket").save(progressive, "JPEG", progressive=True, quality=80)
    assert decode(progressive.getvalue(), max_pixels=40_000_000).format == "JPEG"
