"""Pictures inside screenshots are found, so stage 2 can look at them on their own."""

from __future__ import annotations

from server.decode import decode
from server.regions import picture_boxes

from . import edits
from .conftest import demo_image


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
