"""The database on the web: browsing, searching, what became of a withdrawn entry, and
what search engines are told."""

from __future__ import annotations

from ..conftest import add_fake, moderation_of, settle, sign_in, store_of, submit


def test_the_database_is_browsed_newest_first_searched_and_filtered(app, client) -> None:  # type: ignore[no-untyped-def]
    ids = [add_fake(app, name) for name in ("rocket", "coffee", "chelsea", "astronaut")]
    store_of(app).set_status(ids[1], "retracted")
    page = client.get("/entries").get_data(as_text=True)
    assert page.index("astronaut photo misused") < page.index("rocket photo misused")
    assert "coffee photo misused" not in page  # retracted: not listed
    found = client.get("/entries?q=chelsea").get_data(as_text=True)
    assert "chelsea photo misused" in found and "rocket photo misused" not in found
    none = client.get("/entries?category=SatireOrParodyContent").get_data(as_text=True)
    assert "No published entry matches" in none
    assert client.get("/entries?category=<script>").status_code == 200  # ignored, not an error


def test_the_database_is_paged(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from server.web import check

    monkeypatch.setattr(check, "BROWSE_PAGE", 2)
    for name in ("rocket", "coffee", "chelsea"):
        add_fake(app, name)
    first = client.get("/entries").get_data(as_text=True)
    assert "chelsea photo misused" in first and "rocket photo misused" not in first
    assert 'rel="next"' in first
    older = client.get("/entries?before=2").get_data(as_text=True)
    assert "rocket photo misused" in older and 'rel="next"' not in older


def test_a_retracted_entry_says_so_with_410(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    store_of(app).set_status(entry_id, "retracted")
    gone = client.get(f"/entries/{entry_id}")
    assert gone.status_code == 410 and "This entry was retracted" in gone.get_data(as_text=True)
    assert client.get("/entries/999").status_code == 404


def test_search_engines_get_robots_a_sitemap_and_an_icon(app, client) -> None:  # type: ignore[no-untyped-def]
    shown, hidden = add_fake(app, "rocket"), add_fake(app, "coffee")
    store_of(app).set_status(hidden, "disabled")
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /moderation/" in robots and "Sitemap: http://localhost/sitemap.xml" in robots
    sitemap = client.get("/sitemap.xml")
    assert sitemap.mimetype == "application/xml"
    text = sitemap.get_data(as_text=True)
    assert f"http://localhost/entries/{shown}</loc>" in text
    assert f"/entries/{hidden}<" not in text
    assert client.get("/favicon.ico").mimetype == "image/svg+xml"


def test_errors_are_pages_for_people_and_json_for_the_api(app, client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/no-such-page")
    text = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "There is nothing here" in text
    assert 'name="viewport"' in text and "style.css" in text  # the site's own page
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    wrong = client.put("/entries")
    assert wrong.status_code == 405 and "cannot be used that way" in wrong.get_data(as_text=True)


def test_the_check_page_needs_no_session_token(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    import io

    from .. import edits
    from ..conftest import demo_image, make_app

    app = make_app(sqlite_url, WTF_CSRF_ENABLED=True)
    stale = app.test_client()  # no cookie, no token: a tab left open for a week
    answer = stale.post(
        "/",
        data={"image": (io.BytesIO(edits.jpeg(demo_image("coffee"))), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200 and "Not in the known-fakes database" in answer.get_data(
        as_text=True
    )
    report = stale.post("/submit", data={"claim": "x"})
    assert report.status_code in (400, 200) and "CSRF" not in report.get_data(as_text=True)[:200]


def test_entry_pages_preview_well_when_shared(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert '<meta property="og:title" content="rocket photo misused">' in page
    assert f'<meta property="og:url" content="http://localhost/entries/{entry_id}">' in page
    assert '<meta property="og:image" content="http://localhost/images/' in page
    assert 'name="twitter:card" content="summary_large_image"' in page
    assert "first published" in page and "UTC" in page


def test_an_entry_page_names_its_reviewer_and_tells_its_public_history(app, client) -> None:  # type: ignore[no-untyped-def]
    report = submit(client, "rocket", claim="Rocket fired at the city last night")
    settle(app)
    sign_in(app, client, "moderator")  # "Moderator" is the display name
    client.post(
        f"/moderation/submissions/{report}/approve",
        data={
            "title": "Old rocket launch passed off as an attack",
            "category": "DecontextualizedContent",
            "claim": "Rocket fired at the city last night",
            "origin_description": "A 2019 test launch",
        },
    )
    entry_id = moderation_of(app).submission(report).entry_id
    edit = client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    version = edit.split('name="version" value="')[1].split('"')[0]
    client.post(
        f"/moderation/entries/{entry_id}/edit",
        data={
            "version": version,
            "title": "Old rocket launch passed off as an attack",
            "category": "DecontextualizedContent",
            "claim": "Rocket fired at the city last night",
            "origin_description": "A 2019 test launch at the coast, filmed by a news agency",
            "rating": "Miscaptioned",
        },
    )
    client.post("/logout")
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "reviewed by Moderator, for OriginCheck" in page
    history = page.split("History of this entry (2 changes)")[1].split("</details>")[0]
    assert "Corrected: rating, what the image really is" in history
    assert "Published" in history and history.index("Corrected") < history.index("Published")
    assert "moderator@example.org" not in page and "user:" not in page


def test_the_database_is_filtered_by_first_published_date(app, client) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    add_fake(app, "rocket", title="Rocket misused")
    today = dt.datetime.now(dt.UTC).date()
    later = (today + dt.timedelta(days=1)).isoformat()
    earlier = (today - dt.timedelta(days=1)).isoformat()
    assert "Rocket misused" in client.get(f"/entries?since={today}").get_data(as_text=True)
    assert "Rocket misused" not in client.get(f"/entries?since={later}").get_data(as_text=True)
    assert "Rocket misused" not in client.get(f"/entries?until={earlier}").get_data(as_text=True)
    both = client.get(f"/entries?since={earlier}&until={today}").get_data(as_text=True)
    assert "Rocket misused" in both and f'value="{earlier}"' in both
    assert client.get("/entries?since=not-a-date").status_code == 200  # no filter
