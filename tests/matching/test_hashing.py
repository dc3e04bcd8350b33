"""What a user would notice of the hashes: copies land near, strangers far."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from server.matching.decode import decode
from server.matching.hashing import query_fingerprint, reference_fingerprint
from server.matching.trim import trim_box

from .. import edits
from ..conftest import demo_bytes, demo_image

NAMES = ["rocket", "astronaut", "chelsea", "coffee"]


def distance(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


def best(query: bytes, name: str) -> tuple[int, str]:
    ref = reference_fingerprint(demo_bytes(name), decode(demo_bytes(name), max_pixels=10**8))
    q = query_fingerprint(query, decode(query, max_pixels=10**8))
    return min((distance(a, b), f"{qa}/{rb}") for qa, a in q.hashes for rb, b in ref.hashes)


@pytest.mark.parametrize("name", NAMES)
def test_archetype_copy_lands_within_match_threshold(name: str) -> None:
    d, _ = best(edits.archetype(demo_image(name)), name)
    assert d <= 31


@pytest.mark.parametrize("name", NAMES)
def test_unrelated_photos_stay_far_apart(name: str) -> None:
    others = [other for other in NAMES if other != name]
    query = edits.archetype(demo_image(name))
    assert min(best(query, other)[0] for other in others) > 64


def test_mirrored_copy_matches_through_the_dihedral_variant() -> None:
    d, variant = best(edits.jpeg(edits.mirror(demo_image("chelsea"))), "chelsea")
    assert d <= 31
    assert "mirrored" in variant


def test_rotated_copy_is_named_as_rotated() -> None:
    rotated = demo_image("coffee").transpose(Image.Transpose.ROTATE_270)  # 90 deg clockwise
    d, variant = best(edits.jpeg(rotated), "coffee")
    assert d <= 31
    assert variant.startswith("rotated-90")


def test_caption_band_is_trimmed_but_smooth_sky_is_not() -> None:
    rocket = demo_image("rocket")
    assert trim_box(rocket) == (0, 0, rocket.width, rocket.height)
    captioned = edits.caption_band(rocket)
    left, top, right, bottom = trim_box(captioned)
    assert (left, right, bottom) == (0, captioned.width, captioned.height)
    assert abs(top - (captioned.height - rocket.height)) <= 2


@pytest.mark.parametrize("colour", ["white", "black"])
def test_a_border_is_trimmed_with_a_logo_across_its_edge(colour: str) -> None:
    """Reposters put their logo across the border and the picture; the border is cut
    all the same (it used to stop at the logo)."""
    for name in ("rocket", "coffee", "astronaut", "chelsea"):
        photo = demo_image(name)
        framed = edits.logo_on_border(photo, colour)
        pad = (framed.width - photo.width) // 2
        box = trim_box(framed)
        assert all(
            abs(a - b) <= 2
            for a, b in zip(box, (pad, pad, pad + photo.width, pad + photo.height), strict=True)
        ), (name, box)


def test_flat_image_has_low_quality() -> None:
    flat = edits.jpeg(Image.new("RGB", (300, 200), (128, 128, 128)))
    assert query_fingerprint(flat, decode(flat, max_pixels=10**8)).quality < 50


def test_flat_artwork_is_fingerprinted_only_bare_tones_are_too_simple() -> None:
    """``too_simple`` is for what no reader could tell from another copy of it (one tone,
    a bare gradient); a flag, a logo on white or a chart is a picture like any other."""

    def quality(picture: Image.Image) -> int:
        data = edits.jpeg(picture, 85)
        return query_fingerprint(data, decode(data, max_pixels=10**8)).quality

    flag = Image.new("RGB", (600, 400))
    for k, colour in enumerate([(0, 85, 164), (255, 255, 255), (239, 65, 53)]):
        ImageDraw.Draw(flag).rectangle((k * 200, 0, k * 200 + 200, 400), fill=colour)
    logo = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(logo).ellipse((200, 100, 400, 300), fill=(188, 0, 45))
    chart = Image.new("RGB", (600, 400), "white")
    for k in range(5):
        ImageDraw.Draw(chart).rectangle((60 + k * 100, 340 - 60 * k, 120 + k * 100, 380), "blue")
    assert all(quality(p) >= 50 for p in (flag, logo, chart))
    gradient = Image.linear_gradient("L").resize((600, 400)).convert("RGB")
    assert quality(gradient) < 50
