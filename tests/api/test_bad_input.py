"""Hostile and malformed input answers a clear 4xx, never a 500 (security review F11).

Each case here once answered 500: deeply nested JSON, ids past 2^31, NUL bytes, URLs
longer than their column, approving an image that is already stored, and pictures a
few pixels thin. Run on SQLite and on the real PostgreSQL, whose integer and text
columns refuse what SQLite lets through.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from .. import edits
from ..conftest import add_fake, demo_image, make_app, sign_in, submit, token

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_ID = 2**31
LONG_URL = "https://example.org/" + "a" * 2100


@pytest.fixture
def app(database_url: str):  # type: ignore[no-untyped-def]
    return make_app(database_url)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/check"),
        ("POST", "/api/v1/submissions"),
        ("POST", "/api/v1/feedback"),
        ("POST", "/api/v1/check-page"),
        ("POST", "/api/v1/submissions/1/approve"),
        ("PATCH", "/api/v1/entries/1"),
    ],
)
def test_deeply_nested_json_is_a_400(app, client, method, path) -> None:  # type: ignore[no-untyped-def]
    response = client.open(
        path,
        method=method,
        data=DEEP,
        content_type="application/json",
        headers=token(app, "moderator"),
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["code"] == "bad_json"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/entries/{HUGE_ID}",
        f"/api/v1/entries/{2**70}",
        f"/api/v1/submissions/{HUGE_ID}",
        f"/images/{HUGE_ID}/thumbnail.jpg",
        f"/entries/{HUGE_ID}",
        f"/entries/{2**70}",
    ],
)
def test_ids_out_of_range_are_not_found(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("after", [str(HUGE_ID), "9" * 30])
def test_paging_past_the_last_possible_id_is_refused_or_empty(client, after: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/entries?after={after}")
    assert response.status_code in (200, 400)
    assert response.status_code == 400 or response.get_json()["items"] == []


@pytest.mark.parametrize("entry_id", [HUGE_ID, 2**63, 10**30, 0, -1])
def test_feedback_for_impossible_ids_is_refused(client, entry_id: int) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/feedback", json={"verdict": "helpful", "entry_id": entry_id})
    assert response.status_code in (400, 404)


def test_nul_bytes_are_refused_everywhere(app, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/entries?q=%00").status_code == 400
    image = edits.archetype(demo_image("rocket"))
    for field in ("claim", "notes", "origin_author"):
        response = client.post(
            "/api/v1/submissions",
            data={"image": (io.BytesIO(image), "a.jpg"), field: "a\x00b"},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, field
    response = client.post(
        "/api/v1/submissions", json={"image_url": "https://e.org/a.jpg", "claim": "a\u0000"}
    )
    assert response.status_code == 400
    page = client.post("/login", data={"email": "a\x00@b.c", "password": "x"})
    assert page.status_code == 400
    page = client.post("/submit", data={"claim": "a\x00b"})
    assert page.status_code == 400


def test_urls_longer_than_their_column_are_refused_at_the_door(app, client) -> None:  # type: ignore[no-untyped-def]
    image = edits.archetype(demo_image("rocket"))
    for field in ("seen_url", "origin_url", "evidence_urls"):
        response = client.post(
            "/api/v1/submissions",
            data={"image": (io.BytesIO(image), "a.jpg"), field: LONG_URL},
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, field
    feedback = client.post(
        "/api/v1/feedback", json={"verdict": "helpful", "entry_id": 1, "page_url": LONG_URL}
    )
    assert feedback.status_code in (400, 404)
    entry_id = add_fake(app, "rocket")
    patch = client.patch(
        f"/api/v1/entries/{entry_id}",
        json={"version": 1, "sources": [{"url": LONG_URL}]},
        headers=token(app, "moderator"),
    )
    assert patch.status_code == 400


def test_approving_an_image_that_is_already_stored_is_a_409(app, client) -> None:  # type: ignore[no-untyped-def]
    submission = submit(client, "rocket")
    again = submit(client, "rocket", claim="the same copy again")
    moderator = token(app, "moderator")
    assert (
        client.post(f"/api/v1/submissions/{submission}/approve", headers=moderator).status_code
        == 200
    )
    duplicate = client.post(f"/api/v1/submissions/{again}/approve", headers=moderator)
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"]["code"] == "duplicate_image"
    sign_in(app, client, "moderator")
    page = client.post(f"/moderation/submissions/{again}/approve", data={"version": "1"})
    assert page.status_code == 302  # back to the review page, with a message


@pytest.mark.parametrize("size", [(100_000, 1), (1, 100_000), (20_000, 40), (3, 3)])
def test_thin_pictures_are_answered_not_crashed(client, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    picture = Image.new("L", size, 0)
    picture.putdata([(i * 37) % 256 for i in range(size[0] * size[1])])
    out = io.BytesIO()
    picture.save(out, "PNG")
    check = client.post("/api/v1/check", data={"image": (io.BytesIO(out.getvalue()), "a.png")})
    assert check.status_code == 200 and check.get_json()["result"] == "too_simple"
    report = client.post(
        "/api/v1/submissions",
        data={"image": (io.BytesIO(out.getvalue()), "a.png"), "claim": "thin"},
        content_type="multipart/form-data",
    )
    assert report.status_code in (202, 422)


# --- found by schemathesis (tests/e2e/test_api_contract.py), each once a 500 ----------


def test_an_entry_cannot_lose_its_title_claim_or_origin(app, client) -> None:  # type: ignore[no-untyped-def]
    entry = add_fake(app, "rocket")
    moderator = token(app, "moderator")
    for field in ("title", "category", "claim", "origin", "sources"):
        edit = client.patch(
            f"/api/v1/entries/{entry}", headers=moderator, json={field: None, "version": 1}
        )
        assert edit.status_code == 400, field
    assert (
        client.patch(
            f"/api/v1/entries/{entry}", headers=moderator, json={"rating": None, "version": 1}
        ).status_code
        == 200
    )  # a rating may be cleared
    submission = submit(client, "chelsea")
    approve = client.post(
        f"/api/v1/submissions/{submission}/approve", headers=moderator, json={"title": None}
    )
    assert approve.status_code == 400


def test_an_address_that_outgrows_its_column_once_normalised_is_a_400(app, client) -> None:  # type: ignore[no-untyped-def]
    host = ".".join(["a" * 63] * 30)[:1990]
    submission = submit(client, "chelsea")
    approve = client.post(
        f"/api/v1/submissions/{submission}/approve",
        headers=token(app, "moderator"),
        json={"sources": [{"url": f"https://{host}"}]},
    )
    assert approve.status_code in (200, 400)  # never a 500


@pytest.mark.parametrize("value", ["³", "-1", "1e3", "9" * 30])
def test_whole_number_arguments_are_ascii_digits_in_range(app, client, value: str) -> None:  # type: ignore[no-untyped-def]
    moderator = token(app, "moderator")
    for path in (
        "/api/v1/negatives?limit=",
        "/api/v1/negatives?after=",
        "/api/v1/submissions?after=",
    ):
        answer = client.get(path + value, headers=moderator)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_request"
    assert client.get(f"/entries?before={value}").status_code == 400  # a page, styled


def test_a_status_link_with_any_token_is_answered(client) -> None:  # type: ignore[no-untyped-def]
    submission = submit(client, "rocket")
    assert client.get(f"/api/v1/submissions/{submission}?token=%C3%A9t%C3%A9").status_code == 404


def test_a_wrong_method_names_the_allowed_ones_and_an_impossible_id_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.delete("/api/v1/check")
    assert answer.status_code == 405 and "POST" in answer.headers["Allow"]
    assert client.patch(f"/api/v1/entries/{HUGE_ID * 4}").status_code == 404


def test_unknown_formats_and_repeated_fields_are_refused(app, client) -> None:  # type: ignore[no-untyped-def]
    entry = add_fake(app, "rocket")
    assert client.get(f"/api/v1/entries/{entry}?format=xml").status_code == 400
    data = edits.archetype(demo_image("coffee"))
    twice = client.post(
        "/api/v1/submissions",
        data={"image": (io.BytesIO(data), "x.jpg"), "claim": ["one", "two"]},
        content_type="multipart/form-data",
    )
    assert twice.status_code == 400
    odd = client.post(
        "/api/v1/feedback", json={"verdict": "helpful", "entry_id": entry, "page_url": {}}
    )
    assert odd.status_code == 400
