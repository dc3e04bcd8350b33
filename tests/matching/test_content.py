"""A stored framed copy, on its own, is cut to its picture only when the frame is plain chrome."""

from __future__ import annotations

from PIL import Image, ImageDraw

from server.matching.content import content_box

from ..conftest import demo_image


def post(picture: Image.Image) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A social post: header and buttons on white around the picture, and where it is."""
    out = Image.new("RGB", (picture.width + 40, picture.height + 180), "white")
    draw = ImageDraw.Draw(out)
    draw.ellipse((20, 20, 70, 70), fill=(70, 130, 180))
    draw.text((84, 30), "Official Account @ministry", fill="black")
    draw.text((20, 90), "PROOF of the attack last night. Share!", fill="black")
    out.paste(picture, (20, 120))
    draw.text((20, picture.height + 140), "Like 12K   Comment 3.4K   Share 8.1K", fill="grey")
    return out, (20, 120, 20 + picture.width, 120 + picture.height)


def test_the_picture_inside_a_post_is_its_content() -> None:
    framed, where = post(demo_image("chelsea"))
    box = content_box(framed)
    assert all(abs(a - b) <= 4 for a, b in zip(box, where, strict=True))


def test_a_photo_that_shows_a_rectangle_keeps_all_of_itself() -> None:
    """A picture on a wall inside a photo: the surroundings are a photo, not chrome."""
    room = demo_image("chelsea")
    room.paste(demo_image("coffee").resize((room.width // 2, room.height // 2)), (40, 40))
    assert content_box(room) == (0, 0, room.width, room.height)


def test_a_plain_photo_keeps_all_of_itself() -> None:
    photo = demo_image("astronaut")
    assert content_box(photo) == (0, 0, photo.width, photo.height)
