"""Find the pictures inside a screenshot, a social-media post or a collage.

A screenshot of a web page shows the misused photo as one rectangle among menus,
avatars and text. Hashed or feature-matched as a whole, the page drowns the photo
(ORB spends its keypoints on letters and icons). Pictures on a page are rectangles
with sharp edges, so the outlines that hug their bounding box are cut out and given
a look of their own in stage 2. A photo on a white background shown on a white card
has no outline; its texture does, so dense textured blobs are cut out too.

A collage has no outlines either: its pictures touch, or are split by a thin gutter.
Its panels are found from the seams that cross it from edge to edge (``panel_boxes``).
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from .decode import grey_pixels

MIN_SHARE = 0.03  # of the whole picture's area; smaller boxes are icons and avatars
MAX_SHARE = 0.85  # larger boxes are the picture itself, already searched
MIN_SIDE = 48  # pixels
RECTANGULAR = 0.85  # the outline's convex hull fills at least this share of its box
SAME_BOX = 0.8  # intersection over union above which two boxes are one picture
MAX_BOXES = 3
TEXTURE_EDGE = 60  # gradient magnitude of a textured pixel (0-255 greys)
TEXTURE_FILL = 0.15  # a blob's textured share of its box; page chrome is sparser
#: A collage's seam lies in this middle share of its width or height (2 or 3 panels a side
#: are common; a seam near an edge is a caption band or a border, which trim handles).
SEAM_MIDDLE = (0.3, 0.7)
GUTTER_FLAT = 3.0  # grey std along a gutter's column; its neighbours' is at least 15
SEAM_JUMP = 4.0  # a cut's mean step across it, over the steps of the columns beside it


def picture_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """(left, top, right, bottom) boxes of rectangles inside ``image``, largest first."""
    grey = grey_pixels(image)
    height, width = grey.shape
    edges = cv2.dilate(cv2.Canny(grey, 60, 160), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    candidates = []
    for number in _sized(contours, width * height):
        contour = contours[number]
        x, y, w, h = cv2.boundingRect(contour)
        if cv2.contourArea(cv2.convexHull(contour)) < RECTANGULAR * w * h:
            continue
        # The dilated outline is 2 px thick on each side: keep only what is inside it.
        candidates.append((w * h, (x + 2, y + 2, x + w - 2, y + h - 2)))
    boxes: list[tuple[int, int, int, int]] = []
    for _, box in sorted(candidates, reverse=True):
        if all(overlap(box, other) < SAME_BOX for other in boxes):
            boxes.append(box)
    # On a page (something outlined was found), textured blobs that are not one of the
    # outlined pictures come next. Plain photos, which have no outlines, are left whole:
    # every box costs a search.
    for _, box in sorted(_textured(grey) if boxes else [], reverse=True):
        if all(overlap(box, other) < 0.5 for other in boxes):
            boxes.append(box)
    return boxes[:MAX_BOXES]


def _sized(contours: tuple[np.ndarray, ...], area: int) -> np.ndarray:
    """Which contours have a picture-sized bounding box.

    A photo's edges give a couple of hundred contours, nearly all of them small; their
    boxes are computed at once here rather than one ``boundingRect`` call at a time.
    """
    if not contours:
        return np.zeros(0, np.int64)
    lengths = np.fromiter(map(len, contours), np.int64, len(contours))
    points = np.concatenate(contours).reshape(-1, 2)
    starts = np.cumsum(lengths) - lengths
    sides = np.maximum.reduceat(points, starts) - np.minimum.reduceat(points, starts) + 1
    w, h = sides[:, 0], sides[:, 1]
    share = w * h / area
    sized = (share >= MIN_SHARE) & (share <= MAX_SHARE) & (np.minimum(w, h) >= MIN_SIDE)
    return np.flatnonzero(sized)


def _textured(grey: np.ndarray) -> list[tuple[int, tuple[int, int, int, int]]]:
    """(area, box) of dense textured blobs: strong gradients closed over ~2 % of the width."""
    height, width = grey.shape
    gradient = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    side = max(3, round(0.02 * width))
    blobs = cv2.morphologyEx(
        (gradient > TEXTURE_EDGE).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((side, side), np.uint8)
    )
    _, _, stats, _ = cv2.connectedComponentsWithStats(blobs)
    found = []
    for x, y, w, h, area in stats[1:]:  # row 0 is the background
        share = w * h / (width * height)
        dense = area >= TEXTURE_FILL * w * h
        if MIN_SHARE <= share <= MAX_SHARE and min(w, h) >= MIN_SIDE and dense:
            found.append((int(w * h), (int(x), int(y), int(x + w), int(y + h))))
    return found


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def panel_boxes(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """The four panels of a 2x2 collage (none for anything else), row by row.

    A seam crosses the whole picture: a gutter (a thin run of flat columns between
    textured ones) or a cut (a step between every pair of neighbouring pixels along a
    column, several times the steps beside it). A seam down the middle and one across
    either half make the grid; the one across is applied to both halves (a half that is
    a single picture is then searched in two parts, which finds it all the same).

    One seam alone is not taken for a collage: a phone's lock screen has one where its
    interface ends, and a half of a smooth wallpaper agrees with a half of another
    (bench/accuracy/answers.py). On the 738 corpus photos 24 showed a seam and 3 a grid
    (each costs four more searches, never a match of its own making).
    """
    grey = grey_pixels(image)
    height, width = grey.shape
    down = _seam(grey)
    across = None
    if down is not None:
        across = _seam(grey[:, : down[0]].T) or _seam(grey[:, down[1] :].T)
    elif (across := _seam(grey.T)) is not None:
        down = _seam(grey[: across[0]]) or _seam(grey[across[1] :])
    if down is None or across is None:
        return []
    rows = [(0, across[0]), (across[1], height)]
    columns = [(0, down[0]), (down[1], width)]
    return [(left, top, right, bottom) for top, bottom in rows for left, right in columns]


def _seam(grey: np.ndarray) -> tuple[int, int] | None:
    """The columns (first, end) of a vertical seam in the middle of ``grey``, or None."""
    height, width = grey.shape
    first, last = (round(share * width) for share in SEAM_MIDDLE)
    if height < MIN_SIDE or width < 2 * MIN_SIDE:  # too small to hold two pictures
        return None
    spread = grey.std(axis=0)
    flat = spread < GUTTER_FLAT
    x = first
    while x < last:  # a gutter: 2 px to 4 % of the width, textured on both sides
        if flat[x]:
            end = x + int(np.argmin(flat[x:])) if not flat[x:].all() else width
            narrow = 2 <= end - x <= max(3, 0.04 * width)
            if narrow and end + 2 < width and spread[x - 2] >= 15 and spread[end + 1] >= 15:
                return x, end
            x = end
        x += 1
    pixels = grey.astype(np.int16)
    steps = np.abs(pixels[:, 2:] - pixels[:, :-2])  # step across column x at index x - 1
    mean, sharp = steps.mean(axis=0), (steps > 12).mean(axis=0)
    windows = np.lib.stride_tricks.sliding_window_view(mean, 29)  # centre at index + 14
    beside = np.median(np.concatenate([windows[:, :11], windows[:, 18:]], axis=1), axis=1)
    centres = np.arange(len(windows)) + 14
    jump = np.zeros(len(mean))
    jump[centres] = mean[centres] / (beside + 2)
    jump[sharp <= 0.5] = 0
    inside = jump[first - 1 : last - 1]
    best = int(np.argmax(inside))
    if inside[best] <= SEAM_JUMP:
        return None
    return first + best, first + best
