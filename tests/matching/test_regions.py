"""Pictures inside screenshots and collages are found, so stage 2 can look at them on their own."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from server.matching.decode import decode
from server.matching.regions import panel_boxes, picture_boxes

from .. import edits
from ..conftest import demo_image


def test_the_photo_in_a_web_page_screenshot_is_found() -> None:
    page = edits.web_page(demo_image("chelsea"))
    work = decode(edits.jpeg(page, 85), max_pixels=10**8).image
    scale = work.width / page.width
    # Where tests/edits.py pasted the picture, in work-picture pixels.
    shown = demo_image("chelsea")
    shown.thumbnail((1200 // 2 - 40 - 32, 800 - 20 - 70 - 140))
    left, top = (300 + 16) * scale, (70 + 96) * scale
    truth = (left, top, left + shown.width * scale, top + shown.height * scale)
    boxes = picture_boxes(work)
    assert any(all(abs(a - b) <= 4 for a, b in zip(box, truth, strict=True)) for box in boxes), (
        boxes,
        truth,
    )


def test_a_plain_photo_is_not_cut_into_pictures() -> None:
    work = decode(edits.jpeg(demo_image("coffee"), 85), max_pixels=10**8).image
    assert all(
        (b[2] - b[0]) * (b[3] - b[1]) <= 0.85 * work.width * work.height
        for b in picture_boxes(work)
    )


def test_a_white_background_photo_on_a_white_card_is_found_by_its_texture() -> None:
    """No outline: the photo's white background runs into the card around it."""
    photo = Image.new("RGB", (560, 400), "white")
    oval = Image.new("L", (400, 260), 0)
    ImageDraw.Draw(oval).ellipse((0, 0, 399, 259), fill=255)  # a round object, no straight edge
    photo.paste(demo_image("coffee").resize((400, 260)), (80, 70), oval)
    page = Image.new("RGB", (1200, 800), (240, 242, 245))
    draw = ImageDraw.Draw(page)
    page.paste(demo_image("rocket").resize((400, 250)), (760, 60))  # an outlined picture (ad)
    draw.rectangle((100, 100, 700, 780), fill="white")  # the post's card, no border
    page.paste(photo, (120, 330))
    work = decode(edits.jpeg(page, 85), max_pixels=10**8).image
    scale = work.width / page.width
    found = [tuple(round(v / scale) for v in box) for box in picture_boxes(work)]  # page pixels
    # The object sits at (200..600, 400..660) on the page; its box may take some white in.
    assert any(
        b[0] <= 210 and b[1] <= 410 and b[2] >= 590 and b[3] >= 650 and b[2] - b[0] < 560
        for b in found
    ), found


@pytest.mark.parametrize("gap", [0, 6], ids=["touching", "gutter"])
def test_the_four_panels_of_a_collage_are_found(gap: int) -> None:
    pictures = [demo_image(name) for name in ("rocket", "coffee", "astronaut", "chelsea")]
    work = decode(edits.jpeg(edits.collage(pictures, gap), 85), max_pixels=10**8).image
    scale = work.width / (800 + gap)
    truth = [
        (x * scale, y * scale, (x + 400) * scale, (y + 300) * scale)
        for y in (0, 300 + gap)
        for x in (0, 400 + gap)
    ]
    found = panel_boxes(work)
    assert len(found) == 4, found
    for box, expected in zip(found, truth, strict=True):
        assert all(abs(a - b) <= 3 for a, b in zip(box, expected, strict=True)), (found, truth)


@pytest.mark.parametrize("name", ["rocket", "coffee", "astronaut", "chelsea"])
def test_a_photo_has_no_panels(name: str) -> None:
    """(The rocket's tower runs straight from top to bottom and reads as a seam down the
    middle; nothing crosses either half, so it is no grid.)"""
    work = decode(edits.jpeg(demo_image(name), 85), max_pixels=10**8).image
    assert panel_boxes(work) == []


def test_one_seam_is_not_a_collage() -> None:
    """Two pictures side by side could be a collage, and so could a lock screen's
    interface over its wallpaper: only a grid is taken for one."""
    pair = Image.new("RGB", (800, 300))
    pair.paste(demo_image("coffee").resize((400, 300)), (0, 0))
    pair.paste(demo_image("chelsea").resize((400, 300)), (400, 0))
    assert panel_boxes(decode(edits.jpeg(pair, 85), max_pixels=10**8).image) == []


@pytest.mark.parametrize("size", [(12, 300), (300, 12), (40, 40), (95, 95), (1, 1)])
def test_narrow_and_tiny_pictures_have_no_panels(size: tuple[int, int]) -> None:
    """(A 30 px wide picture once broke the seam search's sliding window.)"""
    picture = demo_image("coffee").resize(size)
    assert panel_boxes(picture) == []
