"""Strip borders, letterbox bars and caption bands before hashing.

Misused images are typically re-published with a caption band above them, a
border, or letterboxing. A global hash sees these as a different picture, so both
queries and stored references are also hashed after cutting such flat edge bands.
The rule (measured in ``../shared/research/matching-performance.md``, appendix A):
walk inward from each side while at least half of the row is the edge colour
(caption text is allowed), then cut after the last row that is almost entirely
that colour, but only where the walk ends at a real edge within reach. When the rows
between that last flat row and the edge are off-colour only within one compact span
(a reposter's logo placed across the edge of the picture), the cut goes to the edge.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .pdq import luminance

TOLERANCE = 10  # grey levels a pixel may differ from the edge colour
BAND_FRACTION = 0.5  # rows at least this much edge-coloured are part of a band
FLAT_FRACTION = 0.97  # rows at least this much edge-coloured may be cut
EDGE_JUMP = 0.3  # a band ends where this share of the row changes colour at once
MAX_CUT = 0.4  # never cut more than this share of a side in one pass
STRADDLE_SPAN = 0.35  # a logo across a band's inner edge spans at most this share of it
MIN_SIDE = 32  # never leave fewer pixels than this
PASSES = 3


def trim_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Return the (left, top, right, bottom) box left after cutting flat edge bands."""
    return band_box(luminance(image))


def band_box(luma: np.ndarray) -> tuple[int, int, int, int]:
    """``trim_box`` of the picture whose PDQ ``luminance`` is ``luma``.

    Grey levels are that luminance, rounded when it is float32: Pillow's "L" but for
    one pixel in 25,000 (the same boxes on 2,706 pictures with and without bands,
    2026-11-25), so a check converts its picture once for both trimming and hashing.
    The bands are found at full size: looking for them on the picture halved saved
    0.05 ms but cut stage 1's recall at 40 bits by 0.08-0.12 on captions, borders and
    screenshots (bench/accuracy, 2026-11-25).
    """
    grey = luma if luma.dtype == np.uint8 else np.add(luma, 0.5).astype(np.uint8)
    top, left = 0, 0
    bottom, right = grey.shape
    for _ in range(PASSES):
        view = grey[top:bottom, left:right]
        cut_top = _band(view, 0)
        cut_bottom = _band(view[::-1], 0)
        cut_left = _band(view, 1)
        cut_right = _band(view[:, ::-1], 1)
        if not (cut_top or cut_bottom or cut_left or cut_right):
            break
        if bottom - top - cut_top - cut_bottom < MIN_SIDE:
            cut_top = cut_bottom = 0
        if right - left - cut_left - cut_right < MIN_SIDE:
            cut_left = cut_right = 0
        if not (cut_top or cut_bottom or cut_left or cut_right):
            break
        top, bottom = top + cut_top, bottom - cut_bottom
        left, right = left + cut_left, right - cut_right
    return left, top, right, bottom


def _band(pixels: np.ndarray, axis: int) -> int:
    """How many leading rows (``axis`` 0) or columns (1) of ``pixels`` form a flat band
    worth cutting.

    Every query runs this on four sides, so it stays in uint8 and never transposes:
    "within TOLERANCE of the edge colour" is one unsigned comparison after shifting by
    the lower bound (values below it wrap round to large ones), and columns are summed
    in the array's own layout. Half the cost of the same rule on transposed views with
    two comparisons, and the same boxes (bench/speed/hashing.py, 2026-11-25).
    """
    depth, width = pixels.shape[axis], pixels.shape[1 - axis]
    limit = int(depth * MAX_CUT)
    if limit < 1 or width < 1:
        return 0
    edge_line, block = (
        (pixels[0], pixels[:limit]) if axis == 0 else (pixels[:, 0], pixels[:, :limit])
    )
    middle = np.partition(edge_line, [(width - 1) // 2, width // 2])
    edge = (int(middle[(width - 1) // 2]) + int(middle[width // 2])) / 2  # the median
    low, high = max(0, math.ceil(edge - TOLERANCE)), min(255, math.floor(edge + TOLERANCE))
    inside = np.subtract(block, np.uint8(low)) <= np.uint8(high - low)
    close = np.add.reduce(inside, axis=1 - axis, dtype=np.int32) / width
    outside = np.flatnonzero(close < BAND_FRACTION)
    if not outside.size or close[outside[0] - 1] - close[outside[0]] < EDGE_JUMP:
        # No sharp edge within reach: a smooth sky or wall, not a band. Cutting it
        # would make the trimmed hash depend on how far a gradient happens to reach.
        return 0
    flat = np.flatnonzero(close[: outside[0]] >= FLAT_FRACTION)
    cut = int(flat[-1]) + 1 if flat.size else 0
    uncut = block[cut : outside[0]] if axis == 0 else block[:, cut : outside[0]]
    if cut < outside[0] and _straddled(uncut, low, high, axis):
        return int(outside[0])  # a logo across the band's inner edge: the band ends there
    return cut


def _straddled(rows: np.ndarray, low: int, high: int, axis: int) -> bool:
    """Whether the band's rows left uncut are off its colour only within one compact
    span (at most ``STRADDLE_SPAN`` of the width): a reposter's logo or a short caption
    placed across the edge of the picture, which the rows of the picture continue."""
    off = np.subtract(rows, np.uint8(low)) > np.uint8(high - low)
    columns = np.flatnonzero(np.logical_or.reduce(off, axis=axis))
    width = rows.shape[1 - axis]
    return bool(columns.size) and columns[-1] - columns[0] + 1 <= STRADDLE_SPAN * width


def trim(image: Image.Image) -> Image.Image:
    """The image without its flat edge bands (the same object if nothing was cut)."""
    box = trim_box(image)
    if box == (0, 0, image.width, image.height):
        return image
    return image.crop(box)
