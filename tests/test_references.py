"""A copy stored as it circulated is fingerprinted by the picture it shows, not its frame."""

from __future__ import annotations

import io

from PIL import Image

from server.matching.geometry import area
from server.references import Upload, prepare, prepare_together
from server.store import NewImage

from . import edits
from .conftest import demo_image

MAX = 10**8


def share(box: tuple[int, int, int, int], size: tuple[int, int]) -> float:
    return area(box) / (size[0] * size[1])


def test_a_page_copy_stored_with_its_original_is_cut_to_the_picture() -> None:
    photo = demo_image("coffee")
    page = edits.web_page(photo)
    original, copy = prepare_together(
        [Upload(edits.jpeg(photo, 90), "original"), Upload(edits.jpeg(page, 90), "misused")],
        max_pixels=MAX,
    )
    assert original.fingerprint.boxes["content"] == (0, 0, *_work(original))
    box = copy.fingerprint.boxes["content"]
    left, top = box[0] / _work(copy)[0], box[1] / _work(copy)[1]
    assert 0.2 < left < 0.33 and 0.15 < top < 0.3  # where web_page pastes the photo
    assert share(box, _work(copy)) < 0.3


def test_an_entry_without_an_original_keeps_each_copy_as_the_pixels_say() -> None:
    photo = demo_image("coffee")
    crop = edits.crop(photo, 0.05)
    images = prepare_together(
        [Upload(edits.jpeg(photo, 90), "misused"), Upload(edits.jpeg(crop, 90), "misused")],
        max_pixels=MAX,
    )
    for image in images:
        assert image.fingerprint.boxes["content"] == (0, 0, *_work(image))


def test_a_cropped_copy_of_the_original_keeps_all_of_itself() -> None:
    photo = demo_image("chelsea")
    original, crop = prepare_together(
        [
            Upload(edits.jpeg(photo, 90), "original"),
            Upload(edits.jpeg(edits.crop(photo, 0.1), 90), "variant"),
        ],
        max_pixels=MAX,
    )
    assert crop.fingerprint.boxes["content"] == (0, 0, *_work(crop))


def test_a_copy_added_later_is_cut_by_the_entry_s_stored_original() -> None:
    photo = demo_image("rocket")
    original = prepare(edits.jpeg(photo, 90), role="original", max_pixels=MAX)
    copy = prepare(
        edits.jpeg(edits.web_page(photo), 90), role="variant", max_pixels=MAX, beside=[original]
    )
    assert share(copy.fingerprint.boxes["content"], _work(copy)) < 0.3


def _work(image: NewImage) -> tuple[int, int]:
    """The work picture's size (boxes are given in its pixels)."""
    assert image.work_jpeg is not None
    return Image.open(io.BytesIO(image.work_jpeg)).size
