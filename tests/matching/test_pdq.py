"""Our PDQ is Meta's PDQ: the same bits and quality as the reference (``pdqhash``)."""

from __future__ import annotations

import numpy as np
import pdqhash
import pytest
from PIL import Image

from server.matching.pdq import DIHEDRAL, luma_hashes, luminance, pdq_hashes

from ..conftest import demo_image

NAMES = ["rocket", "astronaut", "chelsea", "coffee"]


def reference(image: Image.Image) -> tuple[list[bytes], int]:
    vectors, quality = pdqhash.compute_dihedral(np.asarray(image.convert("RGB")))
    return [np.packbits(v.astype(bool)).tobytes() for v in vectors], quality


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [(153, 102), (160, 160), (97, 131), (64, 64), (333, 211)])
def test_same_hashes_and_quality_as_the_reference(name: str, size: tuple[int, int]) -> None:
    image = demo_image(name).resize(size, Image.Resampling.BOX)
    assert pdq_hashes(image) == reference(image)


def test_grey_pictures_hash_like_the_reference() -> None:
    image = demo_image("coffee").resize((120, 90)).convert("L").convert("RGB")
    assert pdq_hashes(image) == reference(image)


def test_a_greyscale_picture_is_its_own_luminance() -> None:
    """A check's picture is greyscale (``decode.py``): its uint8 luma hashes and trims
    without a float copy, and gives the reference's bits for that grey picture."""
    grey = demo_image("rocket").resize((211, 157)).convert("L")
    luma = luminance(grey)
    assert luma.dtype == np.uint8
    assert luma_hashes(luma) == pdq_hashes(grey) == reference(grey)


def test_one_orientation_is_the_first_of_eight() -> None:
    image = demo_image("chelsea").resize((150, 100))
    codes, quality = pdq_hashes(image)
    assert pdq_hashes(image, orientations=1) == ([codes[0]], quality)
    assert len(codes) == len(DIHEDRAL) == 8


def test_flat_and_tiny_pictures_have_no_quality() -> None:
    flat = Image.new("RGB", (100, 80), (120, 130, 140))
    assert pdq_hashes(flat)[1] == 0 == reference(flat)[1]
    tiny = demo_image("rocket").resize((4, 30))
    assert pdq_hashes(tiny) == ([bytes(32)] * 8, 0) == reference(tiny)


def test_a_slice_of_the_luminance_hashes_like_the_cropped_picture() -> None:
    """Checks trim and hash slices of one luminance array instead of cropping pictures."""
    image = demo_image("astronaut").resize((300, 200))
    box = (17, 9, 260, 181)
    left, top, right, bottom = box
    sliced = luminance(image)[top:bottom, left:right]
    assert luma_hashes(sliced) == pdq_hashes(image.crop(box)) == reference(image.crop(box))
