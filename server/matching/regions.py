"""Find the pictures inside a screenshot or a social-media post.

A screenshot of a web page shows the misused photo as one rectangle among menus,
avatars and text. Hashed or feature-matched as a whole, the page drowns the photo
(ORB spends its keypoints on letters and icons). Pictures on a page are rectangles
with sharp edges, so the outlines that hug their bounding box are cut out and given
a look of their own in stage 2. A photo on a white background shown on a white card
has no outline; its texture does, so dense textured blobs are cut out too.
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
        if all(_overlap(box, other) < SAME_BOX for other in boxes):
            boxes.append(box)
    # On a page (something outlined was found), textured blobs that are not one of the
    # outlined pictures come next. Plain photos, which have no outlines, are left whole:
    # every box costs a search.
    for _, box in sorted(_textured(grey) if boxes else [], reverse=True):
        if all(_overlap(box, other) < 0.5 for other in boxes):
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


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over union of two boxes."""
    width = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0
