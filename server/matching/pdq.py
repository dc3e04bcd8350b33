"""PDQ, Meta's 256-bit perceptual hash, in a few numpy operations.

Every check hashes its picture in all eight orientations, so PDQ is on the path of
every request. The reference implementation (ThreatExchange's ``pdqhashing.cpp``,
which the ``pdqhash`` package wraps) blurs the luminance with two passes of box
filters along each axis (its "Jarosz filter"), samples a 64 x 64 grid, and keeps the
16 x 16 lowest DCT coefficients after the constant one; a bit is set where a
coefficient exceeds their median. Blurring and sampling are linear, and each sample
averages a few neighbours, so both reduce to a weighted gather per axis, worked out
once per picture size. On the 306 x 204 picture of a 1 MP photo this costs 0.16 ms
against 0.6 ms through ``pdqhash``, whose wrapper spends most of its time computing
the luminance in float64, copying buffers into Python lists and spelling out each
hash bit by bit (bench/speed/hashing.py). The arithmetic is the reference's (float32
luminance, weights and DCT), and ``tests/test_pdq.py`` holds the hashes and quality to
``pdqhash``'s, bit for bit: only a coefficient within float rounding of the median
could land on the other side of it.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

#: The reference returns an empty hash of quality 0 for pictures narrower than this.
MIN_SIDE = 5

#: Names of the orientations, in the reference's order. A match through one says how
#: the query differs from the stored picture.
DIHEDRAL = (
    "original",
    "rotated-90-cw",
    "rotated-180",
    "rotated-90-ccw",
    "flipped-vertically",
    "mirrored",
    "transposed",
    "transversed",
)


def luminance(image: Image.Image) -> np.ndarray:
    """The picture's luma as PDQ defines it: 0.299 R + 0.587 G + 0.114 B in float32.

    Pillow's "F" conversion computes exactly the reference's. A greyscale picture is
    its own luma and stays uint8: a check decodes a JPEG straight to its luma channel
    (``decode.py``), which is the same weighted sum, taken by the encoder before the
    chroma was rounded and subsampled. A crop of this array is the luminance of the
    cropped picture, so a check trims and hashes slices of it (``hashing.py``).
    """
    if image.mode == "L":
        return np.asarray(image)
    return np.asarray(image.convert("F"))


def pdq_hashes(image: Image.Image, orientations: int = 8) -> tuple[list[bytes], int]:
    """The first ``orientations`` hashes of ``image`` (order of ``DIHEDRAL``), 32 bytes
    each, and its quality (0-100; below about 50 the picture is too flat to trust)."""
    return luma_hashes(luminance(image), orientations)


def luma_hashes(luma: np.ndarray, orientations: int = 8) -> tuple[list[bytes], int]:
    """``pdq_hashes`` of a picture whose ``luminance`` (or a slice of it) is ``luma``
    (float32 or uint8: the weights are float32, so either is summed in float32)."""
    rows, cols = luma.shape
    if min(rows, cols) < MIN_SIDE:
        return [bytes(32)] * orientations, 0
    down, down_weights = _taps(rows)
    across, across_weights = _taps(cols)
    grid = np.einsum("kt,ktc->kc", down_weights, luma[down])
    grid = np.einsum("kt,rkt->rk", across_weights, grid[:, across])  # 64 x 64
    dct = _DCT @ grid @ _DCT.T
    # Turning or flipping the picture only moves and negates DCT coefficients.
    variants = _SIGNS[:orientations] * dct
    turned = _TRANSPOSED[:orientations]
    variants[turned] = variants[turned].transpose(0, 2, 1)
    flat = variants.reshape(orientations, 256)
    median = np.partition(flat, 127, axis=1)[:, 127:128]  # Torben's: rank 128 of 256
    # Bit k is coefficient k, and the hash is written most significant bit first.
    packed = np.packbits(flat[:, ::-1] > median, axis=1)
    return [row.tobytes() for row in packed], _quality(grid)


@functools.lru_cache(maxsize=512)
def _taps(n: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of the 64 samples of a line of ``n`` pixels, the pixels it averages and
    their weights (64 x taps each; unused taps weigh 0).

    Each sample depends on a handful of neighbours, so gathering them is cheaper than
    multiplying by the mostly-zero matrix (0.04 against 0.13 ms on 306 x 204).
    """
    matrix = _blur_and_sample(n)
    used = matrix != 0
    count = used.sum(axis=1)
    offsets = np.arange(count.max())
    pixels = np.minimum(used.argmax(axis=1)[:, None] + offsets, n - 1)
    weights = np.where(offsets < count[:, None], np.take_along_axis(matrix, pixels, axis=1), 0)
    return pixels, weights.astype(np.float32)


def _blur_and_sample(n: int) -> np.ndarray:
    """The 64 x n matrix that blurs a line of ``n`` pixels twice and samples 64 of them.

    The reference's box filter averages a window of ``(n + 127) // 128`` pixels that
    shrinks at the ends, and samples pixel ``int((k + 0.5) * n / 64)`` for output ``k``.
    """
    window = (n + 127) // 128
    half = (window + 2) // 2
    i = np.arange(n)
    low = np.maximum(0, i - (window - half))
    high = np.minimum(n, i + half)
    box = ((i >= low[:, None]) & (i < high[:, None])) / (high - low)[:, None]
    picks = ((np.arange(64) + 0.5) * n / 64).astype(int)
    return np.ascontiguousarray((box @ box)[picks], dtype=np.float32)


def _quality(grid: np.ndarray) -> int:
    """The reference's count of significant gradients of the 64 x 64 grid, 0-100."""
    down = np.trunc((grid[:-1] - grid[1:]) * 100 / 255)
    across = np.trunc((grid[:, :-1] - grid[:, 1:]) * 100 / 255)
    return min(100, int(np.abs(down).sum() + np.abs(across).sum()) // 90)


def _dct_matrix() -> np.ndarray:
    """Rows 1-16 of the 64-point DCT-II, rounded as the reference rounds them."""
    scale = float(np.float32(np.sqrt(2.0 / 64)))
    i = np.arange(1, 17)[:, None]
    j = np.arange(64)[None, :]
    return (scale * np.cos((np.pi / 2.0 / 64) * i * (2 * j + 1))).astype(np.float32)


def _dihedral_signs() -> np.ndarray:
    """Sign of each coefficient per orientation (the table in ``pdqhashing.cpp``)."""
    odd = np.arange(16) % 2 == 1
    rows = np.repeat(np.where(odd, 1.0, -1.0)[:, None], 16, axis=1)  # + on odd rows
    cols = rows.T  # + on odd columns
    checker = np.where(odd[:, None] ^ odd[None, :], -1.0, 1.0)
    same = np.ones((16, 16))
    return np.stack([same, cols, checker, rows, rows, cols, same, checker]).astype(np.float32)


_DCT = _dct_matrix()
_SIGNS = _dihedral_signs()
#: Orientations whose coefficients are also transposed: quarter turns and diagonals.
_TRANSPOSED = np.array([False, True, False, True, False, False, True, True])


def hamming(a: bytes, b: bytes) -> int:
    """Bits that differ between two PDQ hashes (0-256)."""
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
