"""What a stored picture is, without the frame it circulated in.

Moderators store known fakes as they circulated: the original, and also the copy
inside a social post, a video player, a news site's page. That frame is shared with
countless innocent pictures, so it must not become evidence: when a stored picture
shows a picture inside plain chrome, only the inner picture is hashed and its
keypoints kept (``references.prepare``), and the pixel check looks at it alone.

The rule: among the pictures found inside (``regions.picture_boxes``), the largest
one that covers at least ``MIN_SHARE`` of the image, whose sides are straight sharp
edges (a pasted picture's, not an object's outline), and around which the image is
mostly one flat colour (a page, black bars, a card), is the content. A photo that
merely shows a rectangle (a window, a painting) is textured around it, and a product
shot on white has no straight edges: both keep all of themselves.
Overlays drawn on the picture (a TV channel's lower third) cannot be cut away like
this; the pixel check and the commonness of their keypoints deal with those.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .decode import grey_pixels
from .geometry import Box
from .regions import picture_boxes
from .trim import band_box

MIN_SHARE = 0.3  # of the trimmed picture: smaller boxes are widgets and illustrations
PLAIN_SHARE = 0.6  # of the surroundings within this many grey levels of their median ...
PLAIN_TOLERANCE = 16  # ... for them to count as plain chrome
EDGE_STEP = 12  # grey levels between the two sides of a pasted picture's edge ...
EDGE_SHARE = 0.6  # ... along this share of the side, at least


def content_box(image: Image.Image) -> Box:
    """The stored picture's content, in ``image``'s pixels: the inner picture of a
    framed copy, else all of it (flat bands are trimmed by the hashing, as before)."""
    grey = grey_pixels(image)
    trimmed = band_box(grey)
    left, top, right, bottom = trimmed
    area = image.width * image.height
    for box in picture_boxes(image):
        inner = (max(box[0], left), max(box[1], top), min(box[2], right), min(box[3], bottom))
        if (inner[2] - inner[0]) * (inner[3] - inner[1]) < MIN_SHARE * area:
            continue
        if _outlined(grey, inner) and _plain_around(grey, (0, 0, image.width, image.height), inner):
            return inner
    return 0, 0, image.width, image.height


def _outlined(grey: np.ndarray, box: Box) -> bool:
    """At least three of the box's sides are straight edges: along most of each, the
    pixels just inside differ from those just outside."""
    left, top, right, bottom = box
    height, width = grey.shape
    g = grey.astype(np.int16)
    sides = []
    if top >= 2:
        sides.append((g[top + 1, left:right], g[top - 2, left:right]))
    if bottom <= height - 2:
        sides.append((g[bottom - 2, left:right], g[min(height - 1, bottom + 1), left:right]))
    if left >= 2:
        sides.append((g[top:bottom, left + 1], g[top:bottom, left - 2]))
    if right <= width - 2:
        sides.append((g[top:bottom, right - 2], g[top:bottom, min(width - 1, right + 1)]))
    sharp = sum(
        1
        for inside, outside in sides
        if (np.abs(inside - outside) > EDGE_STEP).mean() >= EDGE_SHARE
    )
    return sharp >= 3 or (sharp >= 2 and len(sides) == 2)


def _plain_around(grey: np.ndarray, outer: Box, inner: Box) -> bool:
    mask = np.zeros(grey.shape, bool)
    mask[outer[1] : outer[3], outer[0] : outer[2]] = True
    mask[inner[1] : inner[3], inner[0] : inner[2]] = False
    around = grey[mask]
    if around.size < 0.05 * grey.size:
        return False
    close = np.abs(around.astype(np.float32) - float(np.median(around))) <= PLAIN_TOLERANCE
    return float(close.mean()) >= PLAIN_SHARE
