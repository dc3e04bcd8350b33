"""Stage 2 (local features) catches what whole-image hashes cannot, and only runs when needed."""

from __future__ import annotations

import pytest
from PIL import Image

from server.config import DEFAULTS
from server.matching import matcher
from server.matching.bank import snapshot
from server.matching.index import Snapshot
from server.matching.lookup import look_up
from server.references import Upload, prepare, prepare_together

from .. import edits
from ..conftest import add_fake, demo_image, make_app, upload


def window(image: Image.Image, area: float, fx: float, fy: float) -> Image.Image:
    side = area**0.5
    w, h = round(image.width * side), round(image.height * side)
    left, top = round((image.width - w) * fx), round((image.height - h) * fy)
    return image.crop((left, top, left + w, top + h))


def in_a_page(image: Image.Image) -> Image.Image:
    """The picture shown inside a larger page, with text around it (a screenshot)."""
    page = Image.new("RGB", (image.width * 2, image.height * 2), "white")
    page.paste(image, (image.width // 2, image.height // 3))
    return page


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("rocket", lambda im: window(im, 0.5, 0.2, 0.7)),
        ("coffee", lambda im: window(im, 0.5, 0.9, 0.1)),
        ("astronaut", lambda im: edits.caption_band(window(im, 0.6, 0.5, 0.3))),
        ("chelsea", in_a_page),
        ("rocket", edits.web_page),
        ("coffee", edits.web_page),
    ],
    ids=[
        "rocket-window-50",
        "coffee-window-50",
        "astronaut-window-caption",
        "chelsea-in-page",
        "rocket-web-page-screenshot",
        "coffee-web-page-screenshot",
    ],
)
def test_crops_and_screenshots_match_through_local_features(app, client, name, edit) -> None:  # type: ignore[no-untyped-def]
    for other in ("rocket", "coffee", "astronaut", "chelsea"):
        add_fake(app, other)
    body = upload(client, edits.jpeg(edit(demo_image(name)), 70)).get_json()
    assert body["result"] == "match"
    best = body["matches"][0]
    assert best["entry"]["title"] == f"{name} photo misused"
    if best["method"] == "local-features":  # windows always land here; a page may trim away
        assert best["distance"] is None
        assert best["inliers"] >= 12 and best["agreement"] >= 0.6
    else:
        assert edit in (in_a_page, edits.web_page)
    assert all(
        m["entry"]["title"] == f"{name} photo misused"
        for m in body["matches"]
        if m["method"] == "local-features"
    )


def test_unrelated_photo_is_not_matched_by_local_features(app, client) -> None:  # type: ignore[no-untyped-def]
    for other in ("rocket", "astronaut", "chelsea"):
        add_fake(app, other)
    assert (
        upload(client, edits.jpeg(window(demo_image("coffee"), 0.5, 0.5, 0.5))).get_json()["result"]
        == "no_match"
    )


def test_stage_2_never_runs_when_stage_1_answers(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")

    def forbidden(*args):  # type: ignore[no-untyped-def]
        raise AssertionError("stage 2 ran although stage 1 had a confirmed match")

    monkeypatch.setattr(matcher, "extract", forbidden)
    monkeypatch.setattr(matcher, "picture_boxes", forbidden)
    body = upload(client, edits.archetype(demo_image("rocket"))).get_json()
    assert body["result"] == "match" and body["matches"][0]["method"] == "pdq"


def test_stage_2_can_be_switched_off(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, STAGE2_ENABLED=False)
    add_fake(app, "rocket")
    query = edits.jpeg(window(demo_image("rocket"), 0.5, 0.2, 0.7))
    assert upload(app.test_client(), query).get_json()["result"] == "no_match"


def bank_check(bank: Snapshot, data: bytes) -> str:
    """What a reader is told about ``data``, with the server's default thresholds."""
    _, found = look_up(data, bank, DEFAULT_THRESHOLDS, max_pixels=10**8)
    return "too_simple" if found is None else matcher.verdict(found)


DEFAULT_THRESHOLDS = matcher.Thresholds.from_config(DEFAULTS)


@pytest.mark.parametrize("frame", [edits.web_page, in_a_page], ids=["web-page", "page"])
def test_a_fake_stored_as_it_circulated_does_not_accuse_pictures_in_the_same_frame(frame) -> None:  # type: ignore[no-untyped-def]
    """The entry holds the original and the page it circulated in; the same page around
    other pictures is not a known fake, and the page itself still is."""
    rocket = demo_image("rocket")
    images = prepare_together(
        [Upload(edits.jpeg(rocket, 90), "original"), Upload(edits.jpeg(frame(rocket)), "misused")],
        max_pixels=10**8,
    )
    bank = snapshot([images])
    assert bank_check(bank, edits.jpeg(frame(rocket), 70)) == "match"
    for innocent in ("coffee", "chelsea", "astronaut"):
        assert bank_check(bank, edits.jpeg(frame(demo_image(innocent)), 70)) == "no_match"


def test_a_page_stored_alone_does_not_accuse_other_pictures_in_the_same_page() -> None:
    """No original to find in it, and a picture too small in the page to be cut out:
    the page is stored whole. Another picture in its place leaves a hole in the pixel
    check (``agreement.Evidence.largest_hole``), which no copy leaves."""
    page = prepare(
        edits.jpeg(edits.web_page(demo_image("rocket"))), role="misused", max_pixels=10**8
    )
    bank = snapshot([[page]])
    assert bank_check(bank, edits.jpeg(edits.web_page(demo_image("rocket")), 70)) == "match"
    for innocent in ("coffee", "chelsea", "astronaut"):
        assert bank_check(bank, edits.jpeg(edits.web_page(demo_image(innocent)), 70)) == "no_match"


@pytest.mark.parametrize("gap", [0, 6], ids=["touching", "gutter"])
def test_every_known_picture_in_a_collage_is_reported_by_its_panel(gap: int) -> None:
    """Two of the four panels are known fakes: both are confirmed, each with the panel
    it is in as its region of the query, and the innocent panels accuse nobody."""
    names = ("rocket", "coffee", "astronaut", "chelsea")
    known = {"coffee": 0, "chelsea": 1}
    bank = snapshot(
        [[prepare(edits.jpeg(demo_image(n), 90), role="original", max_pixels=10**8)] for n in known]
    )
    query = edits.collage([demo_image(n) for n in names], gap)
    _, found = look_up(edits.jpeg(query, 85), bank, DEFAULT_THRESHOLDS, max_pixels=10**8)
    assert found is not None
    confirmed = {f.entry_id: f.query_box for f in found if f.confirmed}
    assert set(confirmed) == set(known.values()), found
    for name, entry in known.items():
        k = names.index(name)
        left, top = k % 2 * (400 + gap), k // 2 * (300 + gap)
        box = confirmed[entry]
        assert box is not None
        centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        assert left < centre[0] < left + 400 and top < centre[1] < top + 300, (name, box)
