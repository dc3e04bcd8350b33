"""The public pages a person uses without the extension."""

from __future__ import annotations

import io
import json
import re

from .. import edits
from ..conftest import add_fake, demo_image, make_app

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
    claim, media = json.loads(block.group(1))["@graph"]
    assert claim["@type"] == "ClaimReview" and claim["claimReviewed"] == HOSTILE
    assert media["@type"] == "MediaReview" and media["name"] == HOSTILE
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
    hostile = client.get("/?sample=../../etc/passwd").get_data(as_text=True)
    assert "Known fake or misused image" not in hostile and "root:" not in hostile


def test_every_answer_carries_the_security_headers(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/login", "/submit", "/api/v1/health", "/api/v1/docs", "/nowhere"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers  # plain HTTP here
        assert "X-OriginCheck-Worker" not in headers  # no process ids for strangers


def test_https_gets_hsts_and_secure_cookies(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    client = make_app(sqlite_url, WTF_CSRF_ENABLED=True).test_client()
    response = client.get("/login", base_url="https://origincheck.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_templates_hold_no_inline_script_or_style() -> None:
    """The CSP forbids inline script; keep the templates that way."""
    from pathlib import Path

    templates = Path(__file__).parents[2] / "server" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert " style=" not in text and " on" + "click=" not in text, path
        for script in text.split("<script")[1:]:
            assert (
                'type="application/ld+json"' in script.split(">")[0]
                or "src=" in script.split(">")[0]
            ), path


def test_images_of_retracted_entries_are_gone_for_the_public(app, client) -> None:  # type: ignore[no-untyped-def]
    """Security review F12: a retraction may be for privacy or legal reasons."""
    from ..conftest import sign_in, token

    entry_id = add_fake(app, "rocket")
    image_id = client.get(f"/api/v1/entries/{entry_id}").get_json()["images"][0]["id"]
    shown = client.get(f"/images/{image_id}/thumbnail.jpg")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "public, max-age=3600"
    client.post(
        f"/api/v1/entries/{entry_id}/status",
        json={"status": "retracted"},
        headers=token(app, "moderator"),
    )
    assert client.get(f"/images/{image_id}/thumbnail.jpg").status_code == 410
    sign_in(app, client, "moderator")
    private = client.get(f"/images/{image_id}/thumbnail.jpg")
    assert private.status_code == 200 and private.headers["Cache-Control"] == "private, no-store"


def test_head_never_runs_a_check_or_a_fetch(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Security review F5: HEAD / ran a full check or a server-side fetch, unlimited."""
    import io

    from server.web import check as page

    def forbidden(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("HEAD ran a check or a fetch")

    monkeypatch.setattr(page, "check_image", forbidden)
    monkeypatch.setattr(page, "fetch", forbidden)
    image = edits.jpeg(demo_image("rocket"))
    head = client.head("/", data={"image": (io.BytesIO(image), "a.jpg")})
    assert head.status_code == 200
    fetched = client.head("/", data={"url": "http://10.0.0.1/a.jpg"})
    assert fetched.status_code == 200  # the home page; nothing was fetched or refused


def test_the_check_page_outlines_the_known_picture_on_the_reader_s_image(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    page = edits.web_page(demo_image("rocket"))  # 1200 x 800, the photo at (316, 166)
    response = client.post(
        "/",
        data={"image": (io.BytesIO(edits.jpeg(page)), "page.jpg")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert '<svg viewBox="0 0 1200 800"' in html and "data:image/jpeg;base64," in html
    rect = re.search(r'<rect class="region" x="(\d+)" y="(\d+)" width="(\d+)"', html)
    assert rect is not None
    x, y, width = (int(v) for v in rect.groups())
    assert abs(x - 316) <= 12 and abs(y - 166) <= 12 and abs(width - 528) <= 24
    assert "the outlined part is the known image" in html
    assert "The outlined part of your image is a copy of a known image" in html
    assert "distance None" not in html and "None" not in html.split("<main")[1]


def test_the_check_page_shows_what_the_file_says_apart_from_the_verdict(app, client) -> None:  # type: ignore[no-untyped-def]
    from ..signing import AI, make_chain, sign, tamper

    chain = make_chain("Example News Agency")
    photo = edits.jpeg(demo_image("coffee"), 90)

    def page_for(data: bytes) -> str:
        answer = client.post(
            "/", data={"image": (io.BytesIO(data), "x.jpg")}, content_type="multipart/form-data"
        )
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    signed = page_for(sign(photo, chain, source_type=AI, tool="Image Generator"))
    assert "Not in the known-fakes database" in signed
    assert "What the file says about itself" in signed
    assert "Signed by Example News Agency" in signed and "not on a trust list" in signed
    assert "Image Generator 1.0" in signed
    assert "Created by generative AI" in signed
    assert "stated in its signed Content Credentials" in signed
    broken = page_for(tamper(sign(photo, chain, source_type=AI)))
    assert "no longer hold" in broken and "Created by generative AI" not in broken
    assert "What the file says about itself" not in page_for(photo)  # nothing: no empty box


def test_readers_answer_is_this_right_on_the_check_page(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    page = client.post(
        "/",
        data={"image": (io.BytesIO(edits.archetype(demo_image("rocket"))), "x.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Is this right?" in page and 'value="not_a_match"' in page
    sent = client.post("/feedback", data={"entry_id": entry_id, "verdict": "not_a_match"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/entries/{entry_id}")
    assert "your answer was recorded" in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    from ..conftest import moderation_of

    assert moderation_of(app).feedback_counts()[entry_id]["not_a_match"] == 1
    assert client.post("/feedback", data={"entry_id": 999, "verdict": "helpful"}).status_code == 404
    assert client.post("/feedback", data={"entry_id": entry_id, "verdict": "x"}).status_code == 400


def test_a_verdict_has_a_link_that_keeps_no_image_and_expires(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    page = client.post(
        "/",
        data={"image": (io.BytesIO(edits.archetype(demo_image("rocket"))), "copy.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    link = re.search(r'readonly value="([^"]+/results/[^"]+)"', page)
    assert link is not None
    shared = client.get(link.group(1).removeprefix("http://localhost"))
    text = shared.get_data(as_text=True)
    assert shared.status_code == 200 and "Known fake" in text and "rocket photo misused" in text
    assert "The image itself was not kept" in text and "data:image/jpeg" not in text
    kept = app.extensions["origincheck.cache"].get("result-link:" + link.group(1).rsplit("/", 1)[1])
    assert "hashes" not in kept["check"]
    gone = client.get("/results/" + "x" * 22)
    assert gone.status_code == 410 and "expired" in gone.get_data(as_text=True)
    assert client.get("/results/short").status_code == 410
