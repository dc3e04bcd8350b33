"""Hostile inputs, made at run time: what the security review sent, reproducible.

Used by ``bench/hostile/run.py`` against a running server and by the test suite
against the app, so a defence is measured and kept with the same bytes.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def scan_bomb(side: int = 6320, scans: int = 4000) -> bytes:
    """A progressive greyscale JPEG of ``side``² pixels: one DC scan, then ``scans`` AC
    scans that hold nothing but end-of-band runs (a few bytes each, a full pass over
    the picture each for libjpeg). 4,000 scans at 6320² are ~0.3 MB (review F1)."""
    plain = io.BytesIO()
    Image.new("L", (side, side), 128).save(plain, "JPEG", progressive=True, quality=70)
    data = plain.getvalue()
    # One AC Huffman table (class 1, id 1) with a single 1-bit code for EOB14 (0xE0).
    table = bytes([0x11]) + bytes([1] + [0] * 15) + bytes([0xE0])
    dht = b"\xff\xc4" + (2 + len(table)).to_bytes(2, "big") + table
    scan = _eob_scan(((side + 7) // 8) ** 2)
    return data[: _end_of_first_scan(data)] + dht + scan * scans + b"\xff\xd9"


def _end_of_first_scan(data: bytes) -> int:
    position = 2
    while True:
        marker, length = (
            data[position + 1],
            int.from_bytes(data[position + 2 : position + 4], "big"),
        )
        position += 2 + length
        if marker == 0xDA:
            while True:  # skip entropy-coded data: FF 00 is a stuffed byte, FF Dn a restart
                position = data.index(b"\xff", position)
                if data[position + 1] == 0 or 0xD0 <= data[position + 1] <= 0xD7:
                    position += 2
                    continue
                return position


def _eob_scan(blocks: int) -> bytes:
    """An AC first scan (Ss 1, Se 63) over ``blocks`` blocks made of EOB14 runs only."""
    bits = []
    while blocks >= 16384:
        run = min(blocks, 32767)
        bits.append("0" + format(run - 16384, "014b"))
        blocks -= run
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    body = bytearray()
    for start in range(0, len(stream), 8):
        byte = int(stream[start : start + 8], 2)
        body += bytes([byte, 0]) if byte == 0xFF else bytes([byte])
    header = b"\xff\xda" + (8).to_bytes(2, "big") + bytes([1, 1, 0x01, 1, 63, 0])
    return header + bytes(body)


def heavy_png(megapixels: float = 40.0, seed: int = 0) -> bytes:
    """A valid, compressible 16-bit PNG of ``megapixels``: small to send, ~1.5 s to decode."""
    side = int((megapixels * 1_000_000) ** 0.5)
    rng = np.random.default_rng(seed)
    tile = rng.integers(0, 65535, (64, 64), dtype=np.uint16)
    picture = np.tile(tile, (side // 64 + 1, side // 64 + 1))[:side, :side]
    out = io.BytesIO()
    Image.fromarray(picture).save(out, "PNG", compress_level=9)
    return out.getvalue()


def nested_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def many_images_page(count: int = 70_000) -> bytes:
    """A page of ``count`` distinct ``<img>`` tags (quadratic link extraction, review F6)."""
    tags = "".join(f'<img src="/i/{n}.jpg">' for n in range(count))
    return f"<html><body>{tags}</body></html>".encode()
