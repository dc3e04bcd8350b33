"""Where a match is: boxes, and the homography a hash match implies.

A hash match says "this region of the query, turned this way, looks like that region
of the reference": the query region is the picture as published, trimmed, or a picture
found inside it; the reference region is the stored picture's content or one of the
crop windows hashed for it (``hashing.crop_windows``). The mapping between them is what
the pixel check (``agreement.compare``) needs, and what the reader is shown.
"""

from __future__ import annotations

import numpy as np

from .hashing import crop_windows

Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels)

#: For each of PDQ's orientation names (the turn that takes the stored picture to the
#: query), where a point of the query region (normalised: u right, v down) lands in the
#: stored picture's frame. Held by tests/matching/test_geometry.py for all eight.
_TURNS = {
    "original": ((1, 0, 0), (0, 1, 0)),
    "rotated-90-cw": ((0, 1, 0), (-1, 0, 1)),
    "rotated-180": ((-1, 0, 1), (0, -1, 1)),
    "rotated-90-ccw": ((0, -1, 1), (1, 0, 0)),
    "flipped-vertically": ((1, 0, 0), (0, -1, 1)),
    "mirrored": ((-1, 0, 1), (0, 1, 0)),
    "transposed": ((0, 1, 0), (1, 0, 0)),
    "transversed": ((0, -1, 1), (-1, 0, 1)),
}


def reference_window(variant: str, content: Box, trimmed: Box) -> Box:
    """The box of the stored picture that a reference hash variant describes."""
    if variant == "full":
        return content
    if variant == "trimmed":
        return trimmed
    width, height = trimmed[2] - trimmed[0], trimmed[3] - trimmed[1]
    for name, (left, top, right, bottom) in crop_windows(width, height):
        if name == variant:
            return (trimmed[0] + left, trimmed[1] + top, trimmed[0] + right, trimmed[1] + bottom)
    return content


def hash_homography(query_box: Box, turn: str, reference_box: Box) -> np.ndarray:
    """Reference pixels -> query pixels for a hash match of ``query_box`` (turned by
    ``turn`` before hashing) with ``reference_box``."""
    to_turned = np.array([*_TURNS.get(turn, _TURNS["original"]), (0, 0, 1)], dtype=np.float64)
    from_turned = np.linalg.inv(to_turned)
    return _from_unit(query_box) @ from_turned @ np.linalg.inv(_from_unit(reference_box))


def _from_unit(box: Box) -> np.ndarray:
    """Normalised [0, 1]² coordinates -> the box's pixels."""
    left, top, right, bottom = box
    return np.array([[right - left, 0, left], [0, bottom - top, top], [0, 0, 1]], dtype=np.float64)


def project(homography: np.ndarray, box: Box, limit: tuple[int, int]) -> Box:
    """The bounding box of ``box`` mapped by ``homography``, clipped to ``limit`` (w, h)."""
    left, top, right, bottom = box
    corners = np.array(
        [[left, top, 1], [right, top, 1], [left, bottom, 1], [right, bottom, 1]], dtype=np.float64
    )
    mapped = corners @ homography.T
    xy = mapped[:, :2] / mapped[:, 2:3]
    x0, y0 = np.clip(xy.min(axis=0), 0, limit)
    x1, y1 = np.clip(xy.max(axis=0), 0, limit)
    return round(x0), round(y0), round(x1), round(y1)


def area(box: Box) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def scaled(box: Box, factor: float) -> Box:
    return tuple(round(v * factor) for v in box)  # type: ignore[return-value]
