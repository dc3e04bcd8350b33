"""The moderators' JSON API: review, merge, edits, audit, kill switch, feedback, post checks."""

from __future__ import annotations

import io
from http.server import BaseHTTPRequestHandler

import pytest
from PIL import Image

from .. import edits
from ..conftest import (
    add_fake,
    demo_image,
    make_app,
    report_status,
    settle,
    sign_in,
    store_of,
    submit,
    token,
    upload,
)
from ..servers import http_server

MODERATION_API = [
    ("GET", "/api/v1/submissions?status=pending"),
    ("POST", "/api/v1/submissions/1/approve"),
    ("POST", "/api/v1/submissions/1/merge"),
    ("POST", "/api/v1/submissions/1/reject"),
    ("POST", "/api/v1/submissions/1/request-info"),
    ("PATCH", "/api/v1/entries/1"),
    ("POST", "/api/v1/entries/1/status"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/feedback"),
    ("POST", "/api/v1/check-page"),
]


@pytest.mark.parametrize(("method", "path"), MODERATION_API)
def test_moderation_api_needs_a_moderator_token(app, client, method, path) -> None:  # type: ignore[no-untyped-def]
    assert client.open(path, method=method).status_code == 401
    bad = client.open(path, method=method, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"
    volunteer = client.open(path, method=method, headers=token(app, "volunteer"))
    assert volunteer.status_code == 403 and volunteer.get_json()["error"]["code"] == "forbidden"
    # A signed-in moderator's cookie does not open the JSON API (it is exempt from CSRF).
    sign_in(app, client, "moderator")
    assert client.open(path, method=method).status_code == 401


def test_approve_then_every_check_matches(app, client) -> None:  # type: ignore[no-untyped-def]
    submission_id = submit(client, "coffee")
    moderator = token(app, "moderator")
    queue = client.get("/api/v1/submissions?status=pending", headers=moderator).get_json()["items"]
    assert [s["id"] for s in queue] == [submission_id]
    assert queue[0]["evidence_urls"] == ["https://fc.example/a", "https://fc.example/b"]
    # Another re-share of the submitted copy: mirrored, smaller, recompressed.
    submitted = Image.open(io.BytesIO(edits.archetype(demo_image("coffee"))))
    query = edits.jpeg(edits.mirror(submitted).resize((300, 240)), 50)
    assert upload(client, query).get_json()["result"] == "no_match"
    approved = client.post(
        f"/api/v1/submissions/{submission_id}/approve",
        json={
            "title": "Coffee photo passed off as embassy opening",
            "category": "SatireOrParodyContent",
        },
        headers=moderator,
    )
    assert approved.status_code == 200
    entry = approved.get_json()["entry"]
    assert entry["title"] == "Coffee photo passed off as embassy opening"
    assert entry["appearances"][0]["url"] == "https://social.example/post/1"
    assert [s["url"] for s in entry["sources"]] == ["https://fc.example/a", "https://fc.example/b"]
    result = upload(client, query).get_json()
    assert result["result"] == "match" and result["matches"][0]["entry"]["id"] == entry["id"]
    status = report_status(client, submission_id)
    assert status == {
        "id": submission_id,
        "status": "approved",
        "reason": None,
        "entry_id": entry["id"],
    }
    again = client.post(f"/api/v1/submissions/{submission_id}/approve", headers=moderator)
    assert again.status_code == 409


def test_duplicates_are_flagged_and_merge_adds_a_variant_and_appearance(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    first = submit(client, "rocket", seen_url="https://other.example/copy")
    second = submit(client, "rocket", seen_url="https://third.example/again", claim="again")
    moderator = token(app, "moderator")
    settle(app)  # what a report looks like is found in the background, once
    items = {
        s["id"]: s for s in client.get("/api/v1/submissions", headers=moderator).get_json()["items"]
    }
    assert items[first]["candidates"]["entries"][0]["entry_id"] == entry_id
    assert items[first]["candidates"]["entries"][0]["distance"] <= 31
    assert items[first]["candidates"]["submissions"][0]["submission_id"] == second
    merged = client.post(
        f"/api/v1/submissions/{first}/merge", json={"entry_id": entry_id}, headers=moderator
    )
    assert merged.status_code == 200
    entry = merged.get_json()["entry"]
    assert [i["role"] for i in entry["images"]] == ["original", "variant"]
    assert "https://other.example/copy" in [a["url"] for a in entry["appearances"]]
    assert entry["version"] == 2
    assert report_status(client, first)["status"] == "merged"


def test_a_screenshot_merged_into_an_entry_is_cut_to_the_entry_s_picture(app, client) -> None:  # type: ignore[no-untyped-def]
    """A reader reports the post a known photo circulated in; merged, it catches re-shares
    of that post, and the post's page around other pictures stays innocent."""
    entry_id = add_fake(app, "rocket")
    page = edits.jpeg(edits.web_page(demo_image("rocket")), 90)
    response = client.post(
        "/api/v1/submissions",
        data={"image": (io.BytesIO(page), "page.jpg"), "claim": "The rocket is an airstrike"},
        content_type="multipart/form-data",
    )
    moderator = token(app, "moderator")
    merged = client.post(
        f"/api/v1/submissions/{response.get_json()['id']}/merge",
        json={"entry_id": entry_id},
        headers=moderator,
    )
    assert merged.status_code == 200
    assert (
        upload(client, edits.jpeg(edits.web_page(demo_image("rocket")), 70)).get_json()["result"]
        == "match"
    )
    innocent = edits.jpeg(edits.web_page(demo_image("coffee")), 70)
    assert upload(client, innocent).get_json()["result"] == "no_match"


def test_reject_and_ask_for_more(app, client) -> None:  # type: ignore[no-untyped-def]
    moderator = token(app, "moderator")
    one, two = submit(client, "chelsea"), submit(client, "astronaut")
    assert (
        client.post(
            f"/api/v1/submissions/{one}/reject", json={"reason": "Not misused"}, headers=moderator
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/submissions/{two}/request-info",
            json={"message": "Link the original?"},
            headers=moderator,
        ).status_code
        == 200
    )
    assert report_status(client, one)["reason"] == "Not misused"
    assert report_status(client, two)["status"] == "needs_info"
    assert (
        client.post(f"/api/v1/submissions/{one}/reject", json={}, headers=moderator).status_code
        == 400
    )


def test_concurrent_edits_never_overwrite_each_other(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    moderator = token(app, "moderator")
    first = client.patch(
        f"/api/v1/entries/{entry_id}",
        json={"version": 1, "title": "Alice's title"},
        headers=moderator,
    )
    assert first.status_code == 200 and first.get_json()["entry"]["version"] == 2
    second = client.patch(
        f"/api/v1/entries/{entry_id}",
        json={"version": 1, "title": "Bob's title"},
        headers=moderator,
    )
    assert second.status_code == 409
    body = second.get_json()
    assert body["error"]["code"] == "version_conflict"
    assert body["current"]["title"] == "Alice's title" and body["current"]["version"] == 2
    assert store_of(app).get_entry(entry_id).title == "Alice's title"


def test_a_date_given_as_a_number_is_refused_not_read_as_1970(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    refused = client.patch(
        f"/api/v1/entries/{entry_id}",
        json={"version": 1, "sources": [{"url": "https://fc.example/a", "date": 0}]},
        headers=token(app, "moderator"),
    )
    assert refused.status_code == 400 and "YYYY-MM-DD" in refused.get_json()["error"]["message"]
    assert str(store_of(app).get_entry(entry_id).sources[0].url) == "https://example.org/debunk"


def test_an_entry_taken_down_through_the_api_keeps_its_reason(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    taken = client.post(
        f"/api/v1/entries/{entry_id}/status",
        json={"status": "retracted", "reason": "A genuine photo of the event"},
        headers=token(app, "moderator"),
    )
    assert taken.status_code == 200
    notice = client.get(f"/entries/{entry_id}")
    assert notice.status_code == 410 and "A genuine photo of the event" in notice.get_data(
        as_text=True
    )


def test_every_action_is_audited_with_before_and_after(app, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    moderator = token(app, "moderator")
    approved_id = submit(client, "coffee")
    rejected_id = submit(client, "chelsea")
    entry_id = client.post(
        f"/api/v1/submissions/{approved_id}/approve", headers=moderator
    ).get_json()["entry"]["id"]
    client.post(
        f"/api/v1/submissions/{rejected_id}/reject", json={"reason": "dup"}, headers=moderator
    )
    client.patch(
        f"/api/v1/entries/{entry_id}", json={"version": 1, "title": "Renamed"}, headers=moderator
    )
    client.post(
        f"/api/v1/entries/{entry_id}/status", json={"status": "disabled"}, headers=moderator
    )
    events = client.get(f"/api/v1/audit?target=entry:{entry_id}", headers=moderator).get_json()[
        "items"
    ]
    assert [e["action"] for e in events] == ["disable", "edit", "create"]
    assert (
        events[0]["before"]["status"] == "published" and events[0]["after"]["status"] == "disabled"
    )
    assert events[1]["before"]["title"] != "Renamed" and events[1]["after"]["title"] == "Renamed"
    assert all(e["actor"].startswith("token:") for e in events)
    everything = client.get("/api/v1/audit", headers=moderator).get_json()["items"]
    assert {"submit", "approve", "reject"} <= {e["action"] for e in everything}
    out = tmp_path / "audit.jsonl"
    result = app.test_cli_runner().invoke(args=["export-audit", "-o", str(out)])
    assert result.exit_code == 0
    assert len(out.read_text().splitlines()) == len(everything)


def test_disable_is_a_kill_switch_for_checks(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    query = edits.archetype(demo_image("rocket"))
    assert upload(client, query).get_json()["result"] == "match"
    client.post(
        f"/api/v1/entries/{entry_id}/status",
        json={"status": "disabled"},
        headers=token(app, "moderator"),
    )
    assert upload(client, query).get_json()["result"] == "no_match"


def test_reader_feedback_is_counted_and_flags_entries(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    readers = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    for reader, verdict in zip(readers, ("not_a_match",) * 3 + ("helpful",), strict=True):
        for _ in range(3):  # a reader clicking again has still said it once
            response = client.post(
                "/api/v1/feedback",
                json={
                    "verdict": verdict,
                    "entry_id": entry_id,
                    "page_url": "https://news.example/x",
                },
                environ_base={"REMOTE_ADDR": reader},
            )
            assert response.status_code == 201
    # A website cannot make its visitors' browsers flag an entry (security review F15).
    forged = client.post(
        "/api/v1/feedback",
        json={"verdict": "not_a_match", "entry_id": entry_id},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "cross_site"
    preflight = client.options(
        "/api/v1/feedback",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    from_extension = client.post(
        "/api/v1/feedback",
        json={"verdict": "helpful", "entry_id": entry_id},
        headers={"Origin": "chrome-extension://abcdefghijklmnop"},
        environ_base={"REMOTE_ADDR": "10.0.0.4"},
    )
    assert from_extension.status_code == 201
    assert (
        client.post("/api/v1/feedback", json={"verdict": "meh", "entry_id": entry_id}).status_code
        == 400
    )
    assert (
        client.post("/api/v1/feedback", json={"verdict": "helpful", "entry_id": 999}).status_code
        == 404
    )
    counts = client.get("/api/v1/feedback", headers=token(app, "moderator")).get_json()["items"]
    assert counts == [{"entry_id": entry_id, "not_a_match": 3, "helpful": 1}]
    sign_in(app, client, "moderator")
    queue = client.get("/moderation/").get_data(as_text=True)
    assert "Entries readers say do not match" in queue and '3 × "doesn\'t match"' in queue.replace(
        "&#34;", '"'
    )


@pytest.fixture
def post_server():  # type: ignore[no-untyped-def]
    images = {
        "/a.jpg": edits.archetype(demo_image("rocket")),
        "/b.jpg": edits.jpeg(demo_image("coffee")),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/post":
                body = (
                    b'<html><head><meta property="og:image" content="/a.jpg"></head><body>'
                    b'<img src="/b.jpg"><img srcset="/small.jpg 100w, /a.jpg 800w">'
                    b'<img src="/missing.jpg">'
                    b"</body></html>"
                )
            else:
                body = images.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with http_server(Handler) as base:
        yield base


def test_check_every_image_of_a_post(sqlite_url, post_server) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True)
    add_fake(app, "rocket")
    client = app.test_client()
    report = client.post(
        "/api/v1/check-page", json={"url": post_server + "/post"}, headers=token(app, "moderator")
    ).get_json()
    rows = {row["image_url"].rsplit("/", 1)[1]: row for row in report["images"]}
    assert set(rows) == {"a.jpg", "b.jpg", "missing.jpg"}
    assert (
        rows["a.jpg"]["result"] == "match"
        and rows["a.jpg"]["entry_title"] == "rocket photo misused"
    )
    assert rows["b.jpg"]["result"] == "no_match"
    assert rows["missing.jpg"]["result"] == "error"
    sign_in(app, client, "moderator")
    page = client.post("/moderation/check-page", data={"url": post_server + "/post"}).get_data(
        as_text=True
    )
    assert "rocket photo misused" in page and "not in the database" in page
