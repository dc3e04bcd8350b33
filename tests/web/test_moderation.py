"""Moderators', volunteers' and admins' pages: roles, CSRF, sign-in, the report form."""

from __future__ import annotations

import io
import re

import pytest

from server.store.moderation import CLI_ACTOR

from .. import edits
from ..conftest import (
    add_fake,
    add_picture_fake,
    demo_image,
    make_app,
    moderation_of,
    settle,
    sign_in,
    store_of,
    submit,
)

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
    ("GET", "/moderation/negatives"),
    ("POST", "/moderation/negatives"),
    ("GET", "/moderation/negatives/1/thumbnail.jpg"),
    ("GET", "/moderation/import-article"),
    ("POST", "/moderation/import-article"),
    ("POST", "/moderation/submissions/1/find"),
    ("POST", "/moderation/entries/1/images"),
    ("POST", "/moderation/entries/1/images/1/original"),
    ("POST", "/moderation/entries/1/images/1/remove"),
]


@pytest.mark.parametrize(("method", "path"), MODERATION_PAGES)
def test_moderation_pages_need_a_moderator(app, client, method, path) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.open(path, method=method)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    sign_in(app, client, "volunteer")
    assert client.open(path, method=method).status_code == 403


def test_accounts_page_is_for_admins_only(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "moderator")
    assert client.get("/moderation/users").status_code == 403


def test_forms_refuse_requests_without_a_csrf_token(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400
    assert client.post("/submit", data={"claim": "x"}).status_code == 400
    # The check changes nothing: it needs no token (a stale tab must still check).
    checked = client.post("/", data={"url": "http://127.0.0.1/a.jpg"})
    assert "CSRF" not in checked.get_data(as_text=True) and checked.status_code != 400
    # The JSON API is exempt: it never trusts cookies.
    assert (
        client.post("/api/v1/feedback", json={"verdict": "helpful", "entry_id": 99}).status_code
        == 404
    )


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


def report_on_the_web(client, name: str, claim: str):  # type: ignore[no-untyped-def]
    """What a person does on /submit: a misused copy of a demo photo and the claim."""
    return client.post(
        "/submit",
        data={"image": (io.BytesIO(edits.archetype(demo_image(name))), "a.jpg"), "claim": claim},
        content_type="multipart/form-data",
    )


def test_volunteers_see_the_status_of_their_own_submissions(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "volunteer")
    assert report_on_the_web(client, "rocket", "Strike photo").status_code == 302
    mine = client.get("/submit").get_data(as_text=True)
    assert "Your reports" in mine and "pending" in mine
    subs = moderation_of(app).submissions(["pending"])
    assert subs[0].submitter_label == "user:1 Volunteer"


def test_an_anonymous_reporter_gets_a_page_that_follows_the_report(app, client) -> None:  # type: ignore[no-untyped-def]
    sent = report_on_the_web(client, "chelsea", "Cat rescued from the rubble")
    assert sent.status_code == 302 and "/submit/1?token=" in sent.headers["Location"]
    page = client.get(sent.headers["Location"].removeprefix("http://localhost"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "waiting for a moderator" in text
    assert "Cat rescued from the rubble" in text and "Keep this page" in text
    assert client.get("/submit/1?token=guess").status_code == 404  # nobody else
    moderation_of(app).reject(1, "This photo is from 2010, but the claim is not.", CLI_ACTOR)
    later = client.get(sent.headers["Location"].removeprefix("http://localhost"))
    assert "not published" in later.get_data(as_text=True)
    assert "from 2010" in later.get_data(as_text=True)


def test_submit_form_is_prefilled_from_the_extension(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/submit?image_url=https://cdn.example/p.jpg").get_data(as_text=True)
    assert 'value="https://cdn.example/p.jpg"' in page


def test_login_rejects_bad_passwords_and_open_redirects(app, client) -> None:  # type: ignore[no-untyped-def]
    moderation_of(app).create_user("m@example.org", "Mo", "correct horse", "moderator")
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


def test_moderators_add_and_retract_items_of_the_negative_bank(app, client) -> None:  # type: ignore[no-untyped-def]
    sign_in(app, client, "moderator")
    page = client.post(
        "/moderation/negatives",
        data={
            "action": "add",
            "kind": "overlay",
            "note": "NEWS24 lower third",
            "image": (io.BytesIO(edits.jpeg(demo_image("chelsea"))), "overlay.jpg"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "is in the negative bank for every check" in text and "NEWS24 lower third" in text
    assert client.get("/moderation/negatives/1/thumbnail.jpg").mimetype == "image/jpeg"
    retracted = client.post(
        "/moderation/negatives",
        data={"action": "retract", "negative_id": "1"},
        follow_redirects=True,
    )
    assert "Item 1 retracted." in retracted.get_data(as_text=True)
    assert "NEWS24" not in retracted.get_data(as_text=True).split("<table>")[1]
    nothing = client.post(
        "/moderation/negatives",
        data={"action": "add", "kind": "overlay"},
        follow_redirects=True,
    )
    assert "Not saved: Send the image as a file or give its image_url." in nothing.get_data(
        as_text=True
    )


STATEMENT = "The minister confirmed that the army destroyed the dam on purpose last night"


def test_moderators_find_a_known_statement_by_its_words(app, client) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("rapidocr")
    add_picture_fake(app, edits.statement(STATEMENT), "Fake statement about the dam")
    add_picture_fake(app, demo_image("rocket"), "Rocket photo")
    sign_in(app, client, "moderator")
    page = client.get("/moderation/entries?q=on purpose last").get_data(as_text=True)
    assert "Fake statement about the dam" in page and "Rocket photo" not in page


def test_a_report_s_credentials_reach_the_review_page_the_entry_and_its_json_ld(
    sqlite_url,
) -> None:  # type: ignore[no-untyped-def]
    from ..conftest import settle, sign_in, token
    from ..signing import AI, make_chain, sign

    # Kept re-encoded (over SUBMISSION_KEEP_BYTES), which strips credentials: they are
    # read from the bytes as sent, once.
    app = make_app(sqlite_url, SUBMISSION_KEEP_BYTES=1000)
    client = app.test_client()
    chain = make_chain("Image Maker Inc")
    signed = sign(edits.jpeg(demo_image("coffee"), 90), chain, source_type=AI)
    sent = client.post(
        "/api/v1/submissions",
        data={"image": (io.BytesIO(signed), "x.jpg"), "claim": "Embassy opening photo"},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202
    submission_id = sent.get_json()["id"]
    settle(app)
    sign_in(app, client, "moderator")
    page = client.get(f"/moderation/submissions/{submission_id}").get_data(as_text=True)
    assert "What the file says about itself" in page
    assert "Signed by Image Maker Inc" in page and "Created by generative AI" in page
    approved = client.post(
        f"/api/v1/submissions/{submission_id}/approve",
        json={"title": "Generated embassy photo", "category": "TransformedContent"},
        headers=token(app, "moderator"),
    )
    assert approved.status_code == 200, approved.get_json()
    image = approved.get_json()["entry"]["images"][0]
    assert image["provenance"]["credentials"]["signer"] == "Image Maker Inc"
    entry_id = approved.get_json()["entry"]["id"]
    graph = client.get(f"/api/v1/entries/{entry_id}?format=jsonld").get_json()["@graph"]
    review = next(node for node in graph if node["@type"] == "MediaReview")
    media = review["itemReviewed"]["mediaItemAppearance"][0]
    assert media["contentUrl"].endswith(f"/images/{image['id']}/thumbnail.jpg")
    facts = {p["name"]: p for p in media["exifData"]}
    assert facts["C2PA signer"]["value"] == "Image Maker Inc"
    assert facts["IPTC digital source type"]["value"] == AI
    assert facts["IPTC digital source type"]["propertyID"] == "Iptc4xmpExt:DigitalSourceType"


def test_an_imported_reference_shows_its_credentials_on_the_entry_page(
    app, client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import json

    from ..signing import AI, make_chain, sign

    signed = sign(edits.jpeg(demo_image("rocket"), 90), make_chain("Rocket Agency"), source_type=AI)
    (tmp_path / "signed.jpg").write_bytes(signed)
    line = {
        "title": "Generated launch picture",
        "category": "TransformedContent",
        "claim": "A launch last night.",
        "origin": {"description": "An AI-generated picture"},
        "images": [{"path": "signed.jpg", "role": "original"}],
    }
    (tmp_path / "fakes.jsonl").write_text(json.dumps(line) + "\n")
    assert (
        app.test_cli_runner().invoke(args=["import", str(tmp_path / "fakes.jsonl")]).exit_code == 0
    )
    page = client.get("/entries/1").get_data(as_text=True)
    assert "Content Credentials, as stored: Signed by Rocket Agency" in page
    assert "Created by generative AI (signed)" in page


def test_saving_the_edit_form_loses_nothing_and_clearing_a_field_clears_it(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(
        app,
        "rocket",
        rating="Miscaptioned",
        claim_date="2024-03-01",
        sources=[
            {
                "url": "https://factcheck.example/a",
                "publisher": "Fact desk",
                "title": "No, it is a launch",
                "date": "2024-03-02",
            }
        ],
        appearances=[
            {"url": "https://social.example/p/1", "publisher": "Ministry", "language": "el"}
        ],
    )
    sign_in(app, client, "moderator")
    page = client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    # What the browser sends back when the moderator only changes the title.
    fields = dict(re.findall(r'name="([a-z_0-9-]+)"[^>]*value="([^"]*)"', page))
    fields.update(
        title="New title",
        claim="The rocket picture shows last night's attack.",
        origin_description="A rocket photo from an archive.",
        category="DecontextualizedContent",
    )
    assert client.post(f"/moderation/entries/{entry_id}/edit", data=fields).status_code == 302
    entry = client.get(f"/api/v1/entries/{entry_id}").get_json()
    assert entry["title"] == "New title"
    assert entry["sources"] == [
        {
            "url": "https://factcheck.example/a",
            "publisher": "Fact desk",
            "title": "No, it is a launch",
            "date": "2024-03-02",
        }
    ]
    assert entry["appearances"][0]["publisher"] == "Ministry"
    assert entry["appearances"][0]["language"] == "el"
    assert entry["rating"] == "Miscaptioned" and entry["claim_date"] == "2024-03-01"
    # Clearing: the rating, the claim date and a source's row.
    version = str(entry["version"])
    cleared = {**fields, "version": version, "rating": "", "claim_date": "", "source-0-url": ""}
    assert client.post(f"/moderation/entries/{entry_id}/edit", data=cleared).status_code == 302
    entry = client.get(f"/api/v1/entries/{entry_id}").get_json()
    assert entry["rating"] is None and entry["claim_date"] is None and entry["sources"] == []


def test_a_refused_save_keeps_what_was_typed(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    form = {
        "version": "1",
        "title": "My careful new title",
        "category": "DecontextualizedContent",
        "claim": "c",
        "origin_description": "d",
        "source-0-url": "not a url",
        "source-0-publisher": "Typed publisher",
    }
    refused = client.post(f"/moderation/entries/{entry_id}/edit", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Not saved" in page
    assert 'value="My careful new title"' in page and 'value="Typed publisher"' in page


def test_a_merge_into_an_entry_found_by_its_title_keeps_the_reporter_s_words(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "chelsea", title="Cat in the rubble, 2012")
    add_fake(app, "rocket", title="Rocket launch, 2019")
    report = submit(client, "chelsea", claim="Η γάτα σώθηκε χθες", language="el")
    settle(app)
    sign_in(app, client, "moderator")
    # The moderator knows the entry by its title, not by what the report looks like.
    found = client.get(f"/moderation/submissions/{report}?find=rubble").get_data(as_text=True)
    assert f'value="{entry_id}"' in found and "Cat in the rubble, 2012" in found
    assert "Rocket launch" not in found.split("Entry to merge into")[1]
    none = client.get(f"/moderation/submissions/{report}?find=no+such+words").get_data(as_text=True)
    assert "No entry found for “no such words”" in none
    merged = client.post(
        f"/moderation/submissions/{report}/merge", data={"entry_id": str(entry_id)}
    )
    assert merged.status_code == 302
    told = client.get("/moderation/").get_data(as_text=True)
    assert f"Merged into entry {entry_id}: added its image as a new variant and where" in told
    entry = store_of(app).get_entry(entry_id)
    seen = [a for a in entry.appearances if str(a.url) == "https://social.example/post/1"]
    assert seen[0].claim == "Η γάτα σώθηκε χθες" and seen[0].language == "el"
    edit = client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    assert "Reports joined to this entry" in edit and "Η γάτα σώθηκε χθες" in edit
    # An edit keeps the appearance's words: the form carries them as a field of the row.
    assert 'value="Η γάτα σώθηκε χθες"' in edit


def test_a_merge_of_a_file_the_entry_has_says_so_and_adds_its_appearance(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    first = submit(client, "rocket", seen_url="https://social.example/a")
    again = submit(client, "rocket", seen_url="https://social.example/b")
    settle(app)
    client.post(f"/moderation/submissions/{first}/merge", data={"entry_number": str(entry_id)})
    client.post(f"/moderation/submissions/{again}/merge", data={"entry_number": str(entry_id)})
    told = client.get("/moderation/").get_data(as_text=True)
    assert f"Merged into entry {entry_id}: added where it was seen, with the reporter" in told
    urls = [str(a.url) for a in store_of(app).get_entry(entry_id).appearances]
    assert urls == ["https://social.example/a", "https://social.example/b"]
    assert len(store_of(app).get_entry(entry_id).images) == 2  # the original and one copy


def test_a_merge_into_an_entry_found_by_another_image(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "chelsea")
    report = submit(client, "rocket")
    settle(app)
    sign_in(app, client, "moderator")
    page = client.post(
        f"/moderation/submissions/{report}/find",
        data={"image": (io.BytesIO(edits.archetype(demo_image("chelsea"))), "other.jpg")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert f'value="{entry_id}"' in page.split("Entry to merge into")[1]
    broken = client.post(
        f"/moderation/submissions/{report}/find",
        data={"image": (io.BytesIO(b"not a picture"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 200 and "could not be read as an image" in broken.get_data(
        as_text=True
    )


def test_taking_an_entry_down_needs_a_reason_that_its_notice_shows(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    unsure = client.post(f"/moderation/entries/{entry_id}/status", data={"status": "retracted"})
    assert unsure.status_code == 302
    assert "unchanged" in client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    assert client.get(f"/entries/{entry_id}").status_code == 200  # still published
    client.post(
        f"/moderation/entries/{entry_id}/status",
        data={"status": "retracted", "reason": "The photo is the 2024 launch.", "confirm": "yes"},
    )
    notice = client.get(f"/entries/{entry_id}")
    text = notice.get_data(as_text=True)
    assert notice.status_code == 410 and "retracted it on" in text
    assert "“The photo is the 2024 launch.”" in text
    audit = client.get("/moderation/audit").get_data(as_text=True)
    assert "The photo is the 2024 launch." in audit
    client.post(f"/moderation/entries/{entry_id}/status", data={"status": "published"})
    assert client.get(f"/entries/{entry_id}").status_code == 200
    assert store_of(app).entry_status(entry_id).reason is None


def test_a_refused_report_says_what_is_wrong_beside_each_field(client) -> None:  # type: ignore[no-untyped-def]
    refused = client.post(
        "/submit",
        data={
            "image": (io.BytesIO(edits.archetype(demo_image("rocket"))), "a.jpg"),
            "claim": "Strike photo",
            "seen_url": "social.example/post",
            "evidence_urls": "https://fc.example/a\nnot-a-link",
        },
        content_type="multipart/form-data",
    )
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Nothing was sent yet" in text
    assert 'id="field-seen_url" aria-invalid="true" aria-describedby="problem-seen_url"' in text
    assert "Enter a whole address, starting with https://" in text
    assert "Line 2: Enter a whole address" in text
    assert "Input should be" not in text  # no raw pydantic
    assert 'value="Strike photo"' not in text and ">Strike photo</textarea>" in text
    no_image = client.post("/submit", data={"claim": "x"}, content_type="multipart/form-data")
    assert 'aria-describedby="problem-image"' in no_image.get_data(as_text=True)


def test_moderators_add_an_image_choose_the_original_and_remove_one(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    copy = edits.archetype(demo_image("rocket"))
    added = client.post(
        f"/moderation/entries/{entry_id}/images",
        data={"image": (io.BytesIO(copy), "copy.jpg"), "role": "misused"},
        content_type="multipart/form-data",
    )
    assert added.status_code == 302
    images = store_of(app).get_entry(entry_id).images
    assert [i.role for i in images] == ["original", "misused"]
    again = client.post(
        f"/moderation/entries/{entry_id}/images",
        data={"image": (io.BytesIO(copy), "copy.jpg"), "role": "misused"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "already stored, in entry" in again.get_data(as_text=True)
    first, second = (i.id for i in images)
    client.post(f"/moderation/entries/{entry_id}/images/{second}/original")
    roles = {i.id: i.role for i in store_of(app).get_entry(entry_id).images}
    assert roles == {first: "variant", second: "original"}
    kept = client.post(
        f"/moderation/entries/{entry_id}/images/{first}/remove", follow_redirects=True
    )
    assert "to remove it, confirm" in kept.get_data(as_text=True)
    client.post(f"/moderation/entries/{entry_id}/images/{first}/remove", data={"confirm": "yes"})
    assert [i.id for i in store_of(app).get_entry(entry_id).images] == [second]
    last = client.post(
        f"/moderation/entries/{entry_id}/images/{second}/remove",
        data={"confirm": "yes"},
        follow_redirects=True,
    )
    assert "keeps at least one image" in last.get_data(as_text=True)
    # The removed picture is no longer matched; the public history tells the changes.
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Image removed" in page and "Original image chosen" in page and "Image added" in page
    assert client.get(f"/moderation/entries/{entry_id}/images/{first}/original").status_code == 405
    assert client.post(f"/moderation/entries/{entry_id}/images/999/original").status_code == 404
