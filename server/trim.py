"""Strip borders, letterbox bars and caption bands before hashing.

Misused images are typically re-published with a caption band above them, a
border, or letterboxing. A global hash sees these as a different picture, so both
queries and stored references are also hashed after cutting such flat edge bands.
The rule (measured in ``../shared/research/matching-performance.md``, appendix A):
walk inward from each side while at least half of the row is the edge colour
(caption text is allowed), then cut after the last row that is almost entirely
that colour, but only where the walk ends at a real edge within reach.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

TOLERANCE = 24  # grey levels a pixel may differ from the edge colour
BAND_FRACTION = 0.5  # rows at least this much edge-coloured are part of a band
FLAT_FRACTION = 0.97  # rows at least this much edge-coloured may be cut
EDGE_JUMP = 0.3  # a band ends where this share of the row changes colour at once
MAX_CUT = 0.4  # never cut more than this share of a side in one pass
MIN_SIDE = 32  # never leave fewer pixels than this
PASSES = 3


def trim_box(image: Image.Image) -> tuple[int, int, int, int]:
    """Return the (left, top, right, bottom) box left after cutting flat edge bands.

    The bands are found at full size: looking for them on the picture halved saved
    0.05 ms but cut stage 1's recall at 40 bits by 0.08-0.12 on captions, borders and
    screenshots (bench/accuracy, session 4).
    """
    grey = np.asarray(image.convert("L"))
    top, left = 0, 0
    bottom, right = grey.shape
    for _ in range(PASSES):
        view = grey[top:bottom, left:right]
        cut_top = _band(view)
        cut_bottom = _band(view[::-1])
        cut_left = _band(view.T)
        cut_right = _band(view.T[::-1])
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


def _band(rows: np.ndarray) -> int:
    """How many leading rows of ``rows`` form a flat band worth cutting.

    Every query runs this on four sides, so it stays in uint8: "within TOLERANCE of
    the edge colour" is the same test as lying between two whole grey levels.
    """
    limit = int(rows.shape[0] * MAX_CUT)
    width = rows.shape[1]
    if limit < 1 or width < 1:
        return 0
    middle = np.partition(rows[0], [(width - 1) // 2, width // 2])
    edge = (int(middle[(width - 1) // 2]) + int(middle[width // 2])) / 2  # the median
    low, high = max(0, math.ceil(edge - TOLERANCE)), min(255, math.floor(edge + TOLERANCE))
    block = rows[:limit]
    close = np.count_nonzero((block >= low) & (block <= high), axis=1) / width
    outside = np.flatnonzero(close < BAND_FRACTION)
    if not outside.size or close[outside[0] - 1] - close[outside[0]] < EDGE_JUMP:
        # No sharp edge within reach: a smooth sky or wall, not a band. Cutting it
        # would make the trimmed hash depend on how far a gradient happens to reach.
        return 0
    flat = np.flatnonzero(close[: outside[0]] >= FLAT_FRACTION)
    return int(flat[-1]) + 1 if flat.size else 0


def trim(image: Image.Image) -> Image.Image:
    """The image without its flat edge bands (the same object if nothing was cut)."""
    box = trim_box(image)
    if box == (0, 0, image.width, image.height):
        return image
    return image.crop(box)
