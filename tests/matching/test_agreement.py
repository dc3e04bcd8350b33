"""The pixel check tells a copy from another picture that happens to fit the geometry."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from server.matching.agreement import agreement

from ..conftest import demo_image

SHIFT = np.array([[0.8, 0, -40], [0, 0.8, -30], [0, 0, 1.0]])  # a scaled, cropped copy


def grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def copy_of(image: Image.Image) -> Image.Image:
    """``image`` as SHIFT maps it: 80 % size, shifted up and left (so cropped)."""
    small = image.resize((round(image.width * 0.8), round(image.height * 0.8)))
    return small.crop((40, 30, small.width, small.height))


def test_a_scaled_and_cropped_copy_agrees() -> None:
    reference = demo_image("chelsea")
    assert agreement(grey(copy_of(reference)), grey(reference), SHIFT) >= 0.9


def test_a_copy_with_a_logo_and_caption_bar_still_agrees() -> None:
    reference = demo_image("chelsea")
    query = copy_of(reference)
    draw = ImageDraw.Draw(query)
    draw.rectangle((0, query.height - 40, query.width, query.height), fill="black")
    draw.rectangle((10, 10, 90, 50), fill="red")
    assert agreement(grey(query), grey(reference), SHIFT) >= 0.6


def test_a_different_photo_under_the_same_geometry_does_not_agree() -> None:
    reference = demo_image("chelsea")
    other = demo_image("coffee").resize(reference.size)
    assert agreement(grey(copy_of(other)), grey(reference), SHIFT) <= 0.3
