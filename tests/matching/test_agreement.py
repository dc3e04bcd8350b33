"""The pixel check tells a copy from another picture that happens to fit the geometry."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from server.matching.agreement import Shared, compare
from server.matching.decode import chroma_of

from .. import edits
from ..conftest import demo_image

SHIFT = np.array([[0.8, 0, -40], [0, 0.8, -30], [0, 0, 1.0]])  # a scaled, cropped copy
SAME = np.eye(3)


def grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def copy_of(image: Image.Image) -> Image.Image:
    """``image`` as SHIFT maps it: 80 % size, shifted up and left (so cropped)."""
    small = image.resize((round(image.width * 0.8), round(image.height * 0.8)))
    return small.crop((40, 30, small.width, small.height))


def test_a_scaled_and_cropped_copy_agrees() -> None:
    reference = demo_image("chelsea")
    evidence = compare(grey(copy_of(reference)), grey(reference), SHIFT)
    assert evidence.agreement >= 0.9
    assert evidence.largest_hole <= 2


def test_the_matched_regions_are_given_on_both_sides() -> None:
    reference = demo_image("chelsea")
    query = copy_of(reference)
    evidence = compare(grey(query), grey(reference), SHIFT)
    left, top, right, bottom = evidence.reference_box
    assert left >= 40 and top >= 30  # the copy starts 50 px, 37.5 px into the reference
    assert evidence.query_box[0] <= 8 and evidence.query_box[2] >= query.width - 8


def test_a_copy_with_a_logo_and_caption_bar_still_agrees() -> None:
    reference = demo_image("chelsea")
    query = copy_of(reference)
    draw = ImageDraw.Draw(query)
    draw.rectangle((0, query.height - 40, query.width, query.height), fill="black")
    draw.rectangle((10, 10, 90, 50), fill="red")
    assert compare(grey(query), grey(reference), SHIFT).agreement >= 0.6


def test_a_different_photo_under_the_same_geometry_does_not_agree() -> None:
    reference = demo_image("chelsea")
    other = demo_image("coffee").resize(reference.size)
    assert compare(grey(copy_of(other)), grey(reference), SHIFT).agreement <= 0.3


def test_another_picture_in_the_same_page_leaves_a_hole() -> None:
    """The page agrees everywhere but where its picture is: a different picture in the
    same frame, which no copy looks like."""
    stored = grey(edits.web_page(demo_image("rocket")))
    copy = compare(grey(edits.web_page(demo_image("rocket"))), stored, SAME)
    other = compare(grey(edits.web_page(demo_image("coffee"))), stored, SAME)
    assert copy.largest_hole <= 2
    assert other.largest_hole >= 14


def wallpaper(glow: tuple[int, int, int], where: tuple[int, int]) -> Image.Image:
    """A smooth wallpaper: a blue gradient with a soft glow of one colour, under a clock."""
    ys, xs = np.mgrid[0:400, 0:300]
    sky = np.linspace(0.7, 1.0, 400)[:, None, None] * np.array([60, 110, 200])[None, None, :]
    weight = np.exp(-((xs - where[0]) ** 2 + (ys - where[1]) ** 2) / (2 * 70.0**2))[..., None]
    pixels = sky * (1 - weight) + np.array(glow)[None, None, :] * weight
    image = Image.fromarray(pixels.astype(np.uint8))
    ImageDraw.Draw(image).text((100, 40), "12:45", fill="white", font_size=48)
    return image


def test_smooth_pictures_that_differ_only_in_colour_do_not_agree() -> None:
    """Two wallpapers whose greys are nearly alike: an orange glow on one, a green glow
    elsewhere on the other. Only their colour tells them apart."""
    one = wallpaper((200, 120, 40), (80, 300))
    two = wallpaper((90, 160, 60), (220, 120))
    assert np.abs(grey(one).astype(int) - grey(two).astype(int)).mean() < 16
    same = compare(grey(one), grey(one), SAME, None, chroma_of(one), chroma_of(one))
    other = compare(grey(two), grey(one), SAME, None, chroma_of(two), chroma_of(one))
    blind = compare(grey(two), grey(one), SAME)  # the same check without colour
    assert same.agreement >= 0.95
    assert other.agreement < blind.agreement
    assert other.agreement < 0.6


def test_shared_places_count_only_when_they_differ() -> None:
    """Cells around a stored picture's common keypoints prove nothing when they agree,
    and are still a difference when they do not."""
    reference = demo_image("chelsea")
    everywhere = np.array(
        [(x, y) for x in range(0, reference.width, 8) for y in range(0, reference.height, 8)],
        dtype=np.float32,
    )
    copy = compare(grey(reference), grey(reference), SAME, shared=Shared(everywhere))
    assert copy.cells == 0 and copy.agreement == 0  # nothing left to prove it
    other = demo_image("coffee").resize(reference.size)
    different = compare(grey(other), grey(reference), SAME, shared=Shared(everywhere))
    assert different.cells > 0 and different.agreement <= 0.3


def test_around_declared_material_the_neighbouring_cells_prove_nothing_either() -> None:
    """A stored picture that is mostly an interface (a lock screen): the cells next to
    the interface's keypoints are left out too, where they agree, so text and icons
    between keypoints do not pass for the picture's own evidence."""
    reference = demo_image("chelsea")
    sparse = np.array(
        [(x, y) for x in range(8, reference.width, 48) for y in range(8, reference.height, 48)],
        dtype=np.float32,
    )
    copy = grey(reference)
    common = compare(copy, copy, SAME, shared=Shared(sparse))
    declared = compare(copy, copy, SAME, shared=Shared(np.zeros((0, 2), np.float32), sparse))
    assert declared.cells < common.cells  # more of the agreeing cells left out
