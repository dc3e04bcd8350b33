"""Volunteers' and partners' submissions API: limits, clear refusals, bulk JSON Lines."""

from __future__ import annotations

import io
import json

from .. import edits
from ..conftest import demo_image, make_app, moderation_of, report_status, submit, token


def test_submissions_are_rate_limited(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, RATELIMIT_ENABLED=True, RATELIMIT_SUBMIT="2 per hour")
    client = app.test_client()
    submit(client, "rocket")
    submit(client, "coffee")
    limited = client.post("/api/v1/submissions", json={"image_url": "https://example.org/a.jpg"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_bad_submissions_get_clear_errors(app, client) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.post("/api/v1/submissions", json={"claim": "no image"}).get_json()["error"]["code"]
        == "missing_image"
    )
    bad = client.post("/api/v1/submissions", data={"image": (io.BytesIO(b"text"), "a.jpg")})
    assert bad.status_code == 415
    private = client.post("/api/v1/submissions", json={"image_url": "http://10.0.0.1/a.jpg"})
    assert private.status_code == 403
    assert (
        client.post("/api/v1/submissions", json={"image_url": "x", "seen_url": 5}).status_code
        == 400
    )
    assert moderation_of(app).submissions(["pending"]) == []


def test_bulk_json_lines_for_partners(app, client) -> None:  # type: ignore[no-untyped-def]
    lines = "\n".join(
        [
            json.dumps({"image_url": "http://127.0.0.1:9/a.jpg", "claim": "x"}),
            "{not json",
            json.dumps({"claim": "no image"}),
        ]
    )
    response = client.post("/api/v1/submissions/bulk", data=lines, headers=token(app, "volunteer"))
    assert response.status_code == 202
    items = response.get_json()["items"]
    assert [i.get("error", {}).get("code") for i in items] == [
        "url_forbidden",
        "invalid_request",
        "missing_image",
    ]
    assert client.post("/api/v1/submissions/bulk", data=lines).status_code == 401


def test_a_report_is_readable_only_through_its_status_link(app, client) -> None:  # type: ignore[no-untyped-def]
    """Security review F13: moderators' notes were public to anyone counting ids."""
    submission = submit(client, "rocket")
    client.post(
        f"/api/v1/submissions/{submission}/reject",
        json={"reason": "internal note: looks like a sock puppet"},
        headers=token(app, "moderator"),
    )
    assert report_status(client, submission)["reason"].startswith("internal note")
    for guess in (f"/api/v1/submissions/{submission}", f"/api/v1/submissions/{submission}?token=0"):
        assert client.get(guess).status_code == 404
    moderator = client.get(f"/api/v1/submissions/{submission}", headers=token(app, "moderator"))
    assert moderator.status_code == 200


def test_a_retried_report_is_stored_once(app, client) -> None:  # type: ignore[no-untyped-def]
    """Reliability review P5: the 202 was lost, the client sent the same report again."""
    image = edits.archetype(demo_image("coffee"))

    def send(key: str, data: bytes = image):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/submissions",
            data={"image": (io.BytesIO(data), "a.jpg"), "claim": "x"},
            headers={"Idempotency-Key": key},
            content_type="multipart/form-data",
        )

    first, again = send("abc-1"), send("abc-1")
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    assert send("abc-2").get_json()["id"] != first.get_json()["id"]
    other = send("abc-1", edits.archetype(demo_image("chelsea")))
    assert (
        other.status_code == 409 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    )
    assert len(moderation_of(app).submissions(["pending"])) == 2


def test_bulk_lines_past_the_time_budget_are_handed_back(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """Security review F6c: ten slow image URLs in one bulk request killed a worker."""
    import time
    from http.server import BaseHTTPRequestHandler

    from ..servers import http_server

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(2)
            self.send_response(404)
            self.end_headers()

    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True, FETCH_TIMEOUT=1.0, BULK_BUDGET=2.0)
    client = app.test_client()
    with http_server(Slow) as base:
        lines = "\n".join(json.dumps({"image_url": f"{base}/{n}.jpg"}) for n in range(10))
        started = time.perf_counter()
        response = client.post(
            "/api/v1/submissions/bulk", data=lines, headers=token(app, "volunteer")
        )
        took = time.perf_counter() - started
    assert response.status_code == 202 and took < 4.5, took
    codes = [item["error"]["code"] for item in response.get_json()["items"]]
    assert len(codes) == 10 and codes.count("budget_exceeded") >= 6
