"""The JSON API through the Flask test client, as the extension and partners use it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from .. import edits
from ..conftest import add_fake, demo_bytes, demo_image, make_app, store_of, upload
from ..matching.test_decode import png_header_only


def test_archetype_copy_is_a_match_with_full_annotation(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    response = upload(client, edits.archetype(demo_image("rocket")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"] == "match"
    match = body["matches"][0]
    assert match["entry"]["id"] == entry_id
    assert match["entry"]["claim"].startswith("The rocket picture")
    assert match["entry"]["origin"]["description"]
    assert match["entry"]["sources"][0]["publisher"] == "Fact desk"
    assert match["entry"]["url"] == f"http://localhost/entries/{entry_id}"
    assert match["entry"]["images"][0]["thumbnail_url"].startswith("http://localhost/images/")
    assert 0 <= match["distance"] <= 31
    assert 0.85 < match["similarity"] <= 1
    assert "/" in match["variant"]
    assert len(body["hashes"]["pdq"]) == 64 and body["hashes"]["trimmed"] is True
    assert body["took_ms"] >= 0


def test_unrelated_image_is_no_match_with_search_links(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    response = upload(
        client, edits.jpeg(demo_image("coffee")), image_url="https://news.example/a.jpg"
    )
    body = response.get_json()
    assert body["result"] == "no_match"
    assert body["matches"] == []
    engines = {link["engine"]: link["url"] for link in body["search_links"]}
    assert "sort=crawl_date&order=asc" in engines["TinEye (oldest first)"]
    assert "https%3A%2F%2Fnews.example%2Fa.jpg" in engines["Google Lens"]
    assert {"Bing Visual Search", "Yandex Images"} <= set(engines)


def test_flat_image_is_too_simple_not_a_guess(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    flat = edits.jpeg(Image.new("RGB", (400, 300), (200, 200, 200)))
    assert upload(client, flat).get_json()["result"] == "too_simple"


def test_repeat_is_served_from_cache_until_the_index_changes(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    query = edits.archetype(demo_image("chelsea"))
    assert upload(client, query).get_json()["result"] == "no_match"
    assert upload(client, query).get_json()["cached"] is True
    add_fake(app, "chelsea")
    body = upload(client, query).get_json()
    assert body["cached"] is False
    assert body["result"] == "match"


def test_hash_only_lookup(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "astronaut")
    pdq = upload(client, edits.jpeg(demo_image("astronaut"), 70)).get_json()["hashes"]["pdq"]
    body = client.post("/api/v1/check", json={"hashes": {"pdq": pdq}}).get_json()
    assert body["result"] == "match"
    assert body["hashes"] == {
        "pdq": pdq,
        "pdq_quality": None,
        "sha256": None,
        "trimmed": None,
    }


def test_retracted_entry_no_longer_matches(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    query = edits.archetype(demo_image("rocket"))
    assert upload(client, query).get_json()["result"] == "match"
    store_of(app).set_status(entry_id, "retracted")
    assert upload(client, query).get_json()["result"] == "no_match"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, "bad_json"),
        ({"json": ["a", "list"]}, 400, "bad_json"),
        ({"json": {"url": "not a url"}}, 400, "invalid_request"),
        ({"json": {"url": "ftp://example.org/a.jpg"}}, 400, "invalid_request"),
        ({"json": {"url": "http://127.0.0.1:1/x.jpg"}}, 403, "url_forbidden"),
        ({"json": {"url": "http://169.254.169.254/latest/meta-data"}}, 403, "url_forbidden"),
        ({"json": {"hashes": {"pdq": "xyz"}}}, 400, "invalid_request"),
        ({"json": {"hashes": {}}}, 400, "invalid_request"),
        ({"data": {"other": "field"}}, 400, "missing_image"),
        ({}, 400, "missing_image"),
    ],
)
def test_bad_requests_get_a_json_error(client, kwargs, status, code) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/check", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a broken",
        b"plain text",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        png_header_only(60_000, 60_000),
        demo_bytes("rocket")[:2000],
    ],
    ids=["zero-bytes", "gif-garbage", "text", "png-garbage", "bomb", "truncated-jpeg"],
)
def test_broken_uploads_get_4xx_never_500(client, data: bytes) -> None:  # type: ignore[no-untyped-def]
    response = upload(client, data)
    assert 400 <= response.status_code < 500
    assert response.get_json()["error"]["code"]


def test_upload_over_the_size_limit_is_413(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    client = make_app(sqlite_url, MAX_CONTENT_LENGTH=50_000).test_client()
    response = upload(client, b"\xff\xd8\xff" + b"\x00" * 100_000)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_entry_json_and_jsonld(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "coffee", appearances=[{"url": "https://example.org/p"}])
    entry = client.get(f"/api/v1/entries/{entry_id}").get_json()
    assert entry["title"] == "coffee photo misused"
    response = client.get(f"/api/v1/entries/{entry_id}?format=jsonld")
    assert response.mimetype == "application/ld+json"
    claim, media = response.get_json()["@graph"]
    assert media["@type"] == "MediaReview"
    assert media["mediaAuthenticityCategory"] == "DecontextualizedContent"
    assert claim["@type"] == "ClaimReview" and claim["claimReviewed"] == entry["claim"]
    assert media["associatedClaimReview"] == {"@id": claim["@id"]}
    # The image reviewed is the stored image; the post it appeared in is the claim's.
    stored = media["itemReviewed"]["mediaItemAppearance"][0]["contentUrl"]
    assert stored.endswith(entry["images"][0]["thumbnail_url"].split("localhost")[-1])
    assert claim["itemReviewed"]["appearance"][0]["url"] == "https://example.org/p"
    assert client.get("/api/v1/entries/999").status_code == 404


def test_entries_are_paged_and_searchable(app, client) -> None:  # type: ignore[no-untyped-def]
    for name in ("rocket", "astronaut", "chelsea"):
        add_fake(app, name)
    first = client.get("/api/v1/entries?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next"]
    second = client.get(first["next"]).get_json()
    assert len(second["items"]) == 1 and second["next"] is None
    found = client.get("/api/v1/entries?q=chelsea").get_json()["items"]
    assert [e["title"] for e in found] == ["chelsea photo misused"]
    assert client.get("/api/v1/entries?limit=abc").status_code == 400


def test_health_reports_store_index_and_cache(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    health = client.get("/api/v1/health").get_json()
    assert health["status"] == "ok"
    assert health["entries"] == 1 and health["index_size"] >= 15
    assert health["index_version"] == 1
    assert health["store"] == "sqlite: ok" and health["redis"] == "disabled"


def test_openapi_and_docs(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/check" in spec["paths"]
    assert "CheckResponse" in spec["components"]["schemas"]
    assert b"POST /api/v1/check" in client.get("/api/v1/docs").data


def test_cors_is_open_on_the_public_check_api(client) -> None:  # type: ignore[no-untyped-def]
    response = client.options(
        "/api/v1/check",
        headers={"Origin": "chrome-extension://abc", "Access-Control-Request-Method": "POST"},
    )
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "chrome-extension://abc")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_rate_limit_answers_429_with_retry_after(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    client = make_app(
        sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_CHECK="2 per minute"
    ).test_client()
    image = edits.jpeg(demo_image("coffee"))
    assert upload(client, image).status_code == 200
    assert upload(client, image).status_code == 200
    limited = upload(client, image)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    assert int(limited.headers["Retry-After"]) > 0


def test_other_bad_paths_answer_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_png_with_alpha_and_webp_copies_match(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "chelsea")
    out = io.BytesIO()
    demo_image("chelsea").save(out, "WEBP", quality=50)
    assert upload(client, out.getvalue()).get_json()["result"] == "match"


def test_every_match_says_where_and_how_in_plain_words(app, client) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of a page showing a known photo: the match outlines the photo in the
    screenshot, maps it onto the known image, and says how it was found."""
    add_fake(app, "rocket")
    page = edits.web_page(demo_image("rocket"))  # the photo is pasted at (316, 166), 528 wide
    body = upload(client, edits.jpeg(page)).get_json()
    assert body["result"] == "match"
    [match] = body["matches"]
    x0, y0, x1, y1 = match["query_box"]
    assert abs(x0 - 316) <= 12 and abs(y0 - 166) <= 12 and abs(x1 - 844) <= 12 and y1 <= 520
    known = match["entry"]["images"][0]
    r0, r1, r2, r3 = match["reference_box"]
    assert 0 <= r0 < r2 <= known["width"] and 0 <= r1 < r3 <= known["height"]
    assert (r2 - r0) >= 0.9 * known["width"]
    text = match["explanation"]
    assert text.startswith("The outlined part of your image is a copy of a known image")
    assert "None" not in text and "%" in text
    whole = upload(client, edits.jpeg(edits.crop(demo_image("rocket"), 0.05))).get_json()
    assert whole["matches"][0]["explanation"].startswith("Your image is a copy")


def test_an_unconfirmed_match_is_worded_as_a_possibility(app, client) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    pdq = store_of(app).get_entry(1).images[0].pdq  # type: ignore[union-attr]
    flipped = "".join(f"{int(c, 16) ^ 0xF:x}" if n < 11 else c for n, c in enumerate(pdq))
    body = client.post("/api/v1/check", json={"hashes": {"pdq": flipped}}).get_json()
    assert body["result"] == "possible_match"
    text = body["matches"][0]["explanation"]
    assert "may be a copy" in text and "not strong enough to be sure" in text
    assert "None" not in text


def test_provenance_comes_with_the_verdict_and_only_when_the_file_says_something(
    sqlite_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from ..signing import AI, make_chain, sign

    chain = make_chain("Example News Agency")
    anchors = tmp_path / "trust.pem"
    anchors.write_text(chain.root_pem)
    app = make_app(sqlite_url, C2PA_TRUST_ANCHORS=str(anchors))
    entry_id = add_fake(app, "rocket")
    client = app.test_client()
    # A known fake carrying valid credentials: both answers, side by side.
    signed = sign(demo_bytes("rocket"), chain, source_type=AI, tool="Image Generator")
    body = upload(client, signed).get_json()
    assert body["result"] == "match" and body["matches"][0]["entry"]["id"] == entry_id
    provenance = body["provenance"]
    assert provenance["credentials"]["state"] == "trusted"
    assert provenance["credentials"]["signer"] == "Example News Agency"
    assert provenance["source_type"] == {
        "iri": AI,
        "label": "Created by generative AI",
        "ai": True,
        "said_by": "credentials",
    }
    # An unknown image whose file says nothing: nothing to show.
    plain = upload(client, edits.jpeg(demo_image("coffee"))).get_json()
    assert plain["result"] == "no_match" and plain["provenance"] is None
    # A repeat comes from the cache with the same provenance.
    again = upload(client, signed).get_json()
    assert again["cached"] and again["provenance"] == provenance


def test_a_wrong_trust_list_path_refuses_to_start(sqlite_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate")
    with pytest.raises(ValueError, match="no PEM certificate"):
        make_app(sqlite_url, C2PA_TRUST_ANCHORS=str(empty))
