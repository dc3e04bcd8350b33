"""A near hash names a turn and two regions; the mapping built from them lines up the pixels."""

from __future__ import annotations

import pytest
from PIL import Image

from server.matching.agreement import compare
from server.matching.bank import snapshot
from server.matching.decode import decode_check, grey_pixels
from server.matching.geometry import hash_homography, reference_window
from server.matching.hashing import query_fingerprint
from server.references import prepare

from .. import edits
from ..conftest import demo_image

TURNS = {
    "rotate-90": Image.Transpose.ROTATE_90,
    "rotate-180": Image.Transpose.ROTATE_180,
    "rotate-270": Image.Transpose.ROTATE_270,
    "mirror": Image.Transpose.FLIP_LEFT_RIGHT,
    "flip": Image.Transpose.FLIP_TOP_BOTTOM,
    "transpose": Image.Transpose.TRANSPOSE,
    "transverse": Image.Transpose.TRANSVERSE,
}


@pytest.mark.parametrize("name", sorted(TURNS))
def test_each_of_the_eight_turns_maps_the_stored_picture_onto_the_query(name: str) -> None:
    picture = demo_image("rocket")
    bank = snapshot([[prepare(edits.jpeg(picture, 90), role="original", max_pixels=10**8)]])
    data = edits.jpeg(picture.transpose(TURNS[name]), 90)
    decoded, _ = decode_check(data, max_pixels=10**8)
    fingerprint = query_fingerprint(data, decoded)
    names = [n for n, _ in fingerprint.hashes]
    hit = bank.hashes.search([code for _, code in fingerprint.hashes], 32)[0]
    region, _, turn = names[hit.query].rpartition("+")
    stored = bank.pictures(hit.image_id)
    reference_box = reference_window(hit.reference_variant, stored.content, stored.trimmed)
    homography = hash_homography(fingerprint.boxes[region or "full"], turn, reference_box)
    evidence = compare(grey_pixels(decoded.image), stored.grey, homography, reference_box)
    assert evidence.agreement >= 0.9
