"""Volunteers and moderators: submissions, review, roles, CSRF, audit, feedback, batch checks."""

from __future__ import annotations

import io
import json
from http.server import BaseHTTPRequestHandler

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from server.moderation_store import get_moderation

from . import edits
from .conftest import add_fake, demo_image, make_app, store_of, upload
from .servers import http_server

MODERATION_PAGES = [
    ("GET", "/moderation/"),
    ("GET", "/moderation/submissions/1"),
    ("GET", "/moderation/submissions/1/thumbnail.jpg"),
    ("POST", "/moderation/submissions/1/approve"),
    ("POST", "/moderation/submissions/1/merge"),
    ("POST", "/moderation/submissions/1/reject"),
    ("POST", "/moderation/submissions/1/request-info"),
    ("GET", "/moderation/entries"),
    ("GET", "/moderation/entries/1/edit"),
    ("POST", "/moderation/entries/1/edit"),
    ("POST", "/moderation/entries/1/status"),
    ("GET", "/moderation/audit"),
    ("GET", "/moderation/check-page"),
    ("POST", "/moderation/check-page"),
]
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


def token(app: Flask, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {store_of(app).create_token(f'test-{role}', role)}"}


def sign_in(app: Flask, client: FlaskClient, role: str) -> None:
    email = f"{role}@example.org"
    get_moderation_of(app).create_user(email, role.title(), "correct horse", role)
    response = client.post("/login", data={"email": email, "password": "correct horse"})
    assert response.status_code == 302


def get_moderation_of(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return get_moderation()


def submit(client: FlaskClient, name: str = "rocket", **fields: str) -> int:
    data = edits.archetype(demo_image(name))
    response = client.post(
        "/api/v1/submissions",
        data={
            "image": (io.BytesIO(data), "fake.jpg"),
            "claim": f"The {name} shows an airstrike",
            "seen_url": "https://social.example/post/1",
            "seen_date": "2024-03-01",
            "origin_description": "An archive photo",
            "evidence_urls": "https://fc.example/a\nhttps://fc.example/b",
            **fields,
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["status_url"].endswith(
        f"/api/v1/submissions/{body['id']}"
    )
    return body["id"]


@pytest.mark.parametrize(("method", "path"), MODERATION_PAGES)
def test_moderation_pages_need_a_moderator(app, client, method, path) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.open(path, method=method)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    sign_in(app, client, "volunteer")
    assert client.open(path, method=method).status_code == 403


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


def test_accounts_page_is_for_admins_only(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "moderator")
    assert client.get("/moderation/users").status_code == 403


def test_forms_refuse_requests_without_a_csrf_token(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400
    assert client.post("/submit", data={"claim": "x"}).status_code == 400
    assert client.post("/", data={"url": "https://example.org/a.jpg"}).status_code == 400
    # The JSON API is exempt: it never trusts cookies.
    assert (
        client.post("/api/v1/feedback", json={"verdict": "helpful", "entry_id": 99}).status_code
        == 404
    )


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
    status = client.get(f"/api/v1/submissions/{submission_id}").get_json()
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
    assert client.get(f"/api/v1/submissions/{first}").get_json()["status"] == "merged"


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
    assert client.get(f"/api/v1/submissions/{one}").get_json()["reason"] == "Not misused"
    assert client.get(f"/api/v1/submissions/{two}").get_json()["status"] == "needs_info"
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


def test_concurrent_edit_in_the_web_form_shows_what_changed(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    form = {
        "version": "1",
        "title": "First",
        "category": "StagedContent",
        "claim": "c",
        "origin_description": "d",
    }
    assert client.post(f"/moderation/entries/{entry_id}/edit", data=form).status_code == 302
    stale = client.post(f"/moderation/entries/{entry_id}/edit", data={**form, "title": "Second"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "Someone else saved this entry" in page and "First" in page and "Second" in page


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
    assert get_moderation_of(app).submissions(["pending"]) == []


def test_volunteers_see_the_status_of_their_own_submissions(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "volunteer")
    page = client.post(
        "/submit",
        data={
            "image": (io.BytesIO(edits.archetype(demo_image("rocket"))), "a.jpg"),
            "claim": "Strike photo",
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 302
    mine = client.get("/submit").get_data(as_text=True)
    assert "Your reports" in mine and "pending" in mine
    subs = get_moderation_of(app).submissions(["pending"])
    assert subs[0].submitter_label == "user:1 Volunteer"


def test_submit_form_is_prefilled_from_the_extension(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/submit?image_url=https://cdn.example/p.jpg").get_data(as_text=True)
    assert 'value="https://cdn.example/p.jpg"' in page


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


def test_reader_feedback_is_counted_and_flags_entries(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    for verdict in ("not_a_match", "not_a_match", "not_a_match", "helpful"):
        response = client.post(
            "/api/v1/feedback",
            json={"verdict": verdict, "entry_id": entry_id, "page_url": "https://news.example/x"},
        )
        assert response.status_code == 201
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
    assert "rocket photo misused" in page and "no match" in page


def test_login_rejects_bad_passwords_and_open_redirects(app, client) -> None:  # type: ignore[no-untyped-def]
    get_moderation_of(app).create_user("m@example.org", "Mo", "correct horse", "moderator")
    assert (
        client.post("/login", data={"email": "m@example.org", "password": "wrong"}).status_code
        == 401
    )
    response = client.post(
        "/login?next=https://evil.example/",
        data={"email": "M@example.org", "password": "correct horse"},
    )
    assert response.headers["Location"] == "/moderation/"
    assert client.post("/logout").status_code == 302
    assert client.get("/moderation/").status_code == 302


def test_cli_users_and_roles(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    created = runner.invoke(
        args=[
            "create-user",
            "--email",
            "a@example.org",
            "--name",
            "Ana",
            "--role",
            "moderator",
            "--password",
            "pw-123456",
        ]
    )
    assert created.exit_code == 0, created.output
    assert (
        runner.invoke(
            args=["create-user", "--email", "a@example.org", "--name", "Ana", "--password", "x"]
        ).exit_code
        == 1
    )
    assert runner.invoke(args=["set-role", "a@example.org", "admin"]).exit_code == 0
    assert get_moderation_of(app).authenticate("a@example.org", "pw-123456").role == "admin"
    assert runner.invoke(args=["set-role", "nobody@example.org", "admin"]).exit_code == 1
