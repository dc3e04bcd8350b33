"""Stage 2 (local features) catches what whole-image hashes cannot, and only runs when needed."""

from __future__ import annotations

import pytest
from PIL import Image

from server.matching import matcher

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
