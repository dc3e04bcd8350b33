"""The public pages a person uses without the extension."""

from __future__ import annotations

import io
import json
import re

from .. import edits
from ..conftest import add_fake, demo_image

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


def test_upload_form_shows_the_annotation(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    page = client.post(
        "/",
        data={"image": (io.BytesIO(edits.archetype(demo_image("rocket"))), "x.jpg")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Known fake or misused image" in text
    assert "rocket photo misused" in text and "Real image, false context" in text


def test_no_match_page_is_honest_and_offers_searches(app, client) -> None:  # type: ignore[no-untyped-def]
    page = client.post(
        "/",
        data={"image": (io.BytesIO(edits.jpeg(demo_image("coffee"))), "x.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Not in the known-fakes database" in page
    assert "does not mean it is authentic" in page
    assert "tineye.com" in page


def test_bad_upload_shows_a_message_not_a_crash(client) -> None:  # type: ignore[no-untyped-def]
    page = client.post(
        "/", data={"image": (io.BytesIO(b"text"), "x.jpg")}, content_type="multipart/form-data"
    )
    assert page.status_code == 415
    assert "not a JPEG" in page.get_data(as_text=True)
    assert client.post("/", data={}).status_code == 400


def test_entry_page_escapes_hostile_text_and_embeds_jsonld(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "chelsea", title=HOSTILE, claim=HOSTILE)
    html = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "<img src=x" not in html and "<script>alert" not in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert block is not None
    review = json.loads(block.group(1))
    assert review["@type"] == "MediaReview" and review["name"] == HOSTILE
    assert client.get("/entries/12345").status_code == 404


def test_thumbnails_are_served(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "coffee")
    image_id = client.get(f"/api/v1/entries/{entry_id}").get_json()["images"][0]["id"]
    response = client.get(f"/images/{image_id}/thumbnail.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert client.get("/images/999/thumbnail.jpg").status_code == 404


def test_samples_show_a_match_at_once_with_demo_data(app, client) -> None:  # type: ignore[no-untyped-def]
    app.test_cli_runner().invoke(args=["demo-data"])
    page = client.get("/").get_data(as_text=True)
    assert "sample=rocket-captioned.jpg" in page
    for sample in ("rocket-captioned.jpg", "cat-mirrored.jpg"):
        result = client.get(f"/?sample={sample}").get_data(as_text=True)
        assert "Known fake or misused image" in result and "DEMO ENTRY" in result
    assert "Known fake" not in client.get("/?sample=../../etc/passwd").get_data(as_text=True)
