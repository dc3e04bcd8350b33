"""Fact-check markup in: our own JSON-LD export round-trips, and others' feeds import."""

from __future__ import annotations

import io
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from server.factchecks import entry_imports, is_fact_check_markup

from . import edits
from .conftest import add_fake, demo_image, make_app, moderation_of, store_of
from .servers import http_server

FULL = {
    "claim_date": "2024-03-02",
    "rating": "Miscaptioned",
    "appearances": [
        {
            "url": "https://social.example/p/9",
            "publisher": "Daily Blast",
            "date": "2024-03-02",
            "language": "el",
            "claim": "Ο πύραυλος χθες",
        },
        {"url": "https://social.example/p/1", "date": "2024-03-01"},
    ],
    "sources": [
        {
            "url": "https://fc.example/rocket",
            "publisher": "Fact desk",
            "title": "No, this is not last night",
            "date": "2024-03-03",
        }
    ],
}


def _serving(app):  # type: ignore[no-untyped-def]
    """A loopback web server that answers as ``app`` does (its thumbnails, for fetches)."""
    client = app.test_client()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            answer = client.get(self.path)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.content_type)
            self.end_headers()
            self.wfile.write(answer.data)

    return http_server(Handler)


def _comparable(entry) -> dict:  # type: ignore[no-untyped-def, type-arg]
    data = entry.model_dump(mode="json")
    for key in ("id", "url", "created_at", "updated_at", "version", "demo", "videos"):
        data.pop(key, None)
    data["images"] = sorted(image["role"] for image in data["images"])
    return data


def test_an_export_as_json_ld_imports_into_an_empty_server_as_the_same_entries(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    add_fake(app, "coffee", title="Coffee cup misused", **FULL)
    add_fake(app, "chelsea")  # the fewest fields an entry has
    retracted = add_fake(app, "rocket", title="Withdrawn")
    moderation_of(app).set_entry_status(retracted, "retracted", _cli(), "wrong")
    with _serving(app) as base:
        app.config["PUBLIC_URL"] = base
        out = tmp_path / "factchecks.json"
        assert (
            "exported 2 entries"
            in runner.invoke(args=["export", "--format", "jsonld", "-o", str(out)]).output
        )
        fresh = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", FETCH_ALLOW_LOOPBACK=True)
        result = fresh.test_cli_runner().invoke(args=["import", str(out)])
        assert "2 added" in result.output, result.output
        again = fresh.test_cli_runner().invoke(args=["import", str(out)])
        assert "0 added, 2 already present" in again.output
    before = [_comparable(e) for e, _ in store_of(app).iter_entries() if e.status == "published"]
    after = [_comparable(e) for e, _ in store_of(fresh).iter_entries()]
    assert after == before
    # The imported copies are found by the reader's check, as the originals were.
    copy = edits.archetype(demo_image("coffee"))
    answer = fresh.test_client().post(
        "/api/v1/check",
        data={"image": (io.BytesIO(copy), "copy.jpg")},
        content_type="multipart/form-data",
    )
    assert answer.get_json()["matches"][0]["entry"]["title"] == "Coffee cup misused"


def _cli():  # type: ignore[no-untyped-def]
    from server.store.moderation import CLI_ACTOR

    return CLI_ACTOR


def test_a_data_commons_feed_and_fact_check_insights_records_are_read() -> None:
    media = {
        "@type": "MediaReview",
        "url": "https://fc.example/a",
        "headline": "Photo is from a 2015 drill",
        "author": {"@type": "Organization", "name": "Fact desk"},
        "datePublished": "2024-05-01T10:00:00Z",
        "mediaAuthenticityCategory": "DecontextualizedContent",
        "originalMediaContextDescription": "A 2015 civil-defence drill",
        "originalMediaLink": "https://archive.example/2015",
        "itemReviewed": {
            "@type": "MediaReviewItem",
            "mediaItemAppearance": [
                {"@type": "ImageObject", "contentUrl": "https://cdn.example/drill.jpg"}
            ],
        },
    }
    claim = {
        "@type": "ClaimReview",
        "url": "https://fc.example/a",
        "claimReviewed": "Shows yesterday's evacuation",
        "reviewRating": {"@type": "Rating", "alternateName": "False context"},
        "itemReviewed": {
            "@type": "Claim",
            "appearance": [{"@type": "CreativeWork", "url": "https://social.example/x"}],
        },
    }
    text_only = {"@type": "ClaimReview", "url": "https://fc.example/b", "claimReviewed": "A"}
    feed = {
        "@context": "https://schema.org",
        "@type": "DataFeed",
        "dataFeedElement": [{"@type": "DataFeedItem", "item": [claim, media, text_only]}],
    }
    text = json.dumps(feed)
    assert is_fact_check_markup(text)
    items = dict(entry_imports(text))
    entry = items[1]
    assert entry.title == "Photo is from a 2015 drill"
    assert entry.claim == "Shows yesterday's evacuation" and entry.rating == "False context"
    assert str(entry.origin.url) == "https://archive.example/2015"
    assert [str(s.url) for s in entry.sources] == ["https://fc.example/a"]
    assert entry.sources[0].publisher == "Fact desk" and str(entry.sources[0].date) == "2024-05-01"
    assert [str(a.url) for a in entry.appearances] == ["https://social.example/x"]
    assert [str(i.url) for i in entry.images] == ["https://cdn.example/drill.jpg"]
    assert "no image to match" in items[2]  # a text claim: reported, not an entry
    # Fact-Check Insights: records are the reviews themselves, one per line, extra keys.
    lines = "\n".join(json.dumps({"id": n, **r}) for n, r in enumerate([media, claim]))
    assert is_fact_check_markup(lines)
    assert [type(item).__name__ for _, item in entry_imports(lines)] == ["EntryImport"]
    # Our own JSON Lines are not mistaken for markup.
    assert not is_fact_check_markup('{"title": "x", "images": []}\n{"title": "y"}')


ARTICLE = """<!doctype html><html><head><title>Fact check</title>
<meta property="og:image" content="/share.jpg">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "ClaimReview",
 "url": "%(base)s/fact-check", "author": {"@type": "Organization", "name": "Fact desk"},
 "datePublished": "2024-05-01", "claimReviewed": "Rocket fired at the city last night",
 "reviewRating": {"@type": "Rating", "alternateName": "Old photo"},
 "itemReviewed": {"@type": "Claim", "appearance": [{"@type": "CreativeWork",
   "url": "https://social.example/p/5", "datePublished": "2024-04-30", "inLanguage": "el"}]}}
</script></head><body><p>No, it is a 2019 launch.</p></body></html>"""


def test_a_fact_check_article_s_address_opens_a_prefilled_draft(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from .conftest import settle, sign_in

    share = edits.archetype(demo_image("rocket"))

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = share if self.path == "/share.jpg" else b""
            if self.path == "/fact-check":
                body = (ARTICLE % {"base": f"http://{self.headers['Host']}"}).encode()
            elif self.path == "/plain":
                body = b"<html><body>No markup here.</body></html>"
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body)

    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True)
    client = app.test_client()
    entry_id = add_fake(app, "rocket")
    sign_in(app, client, "moderator")
    with http_server(Site) as base:
        read = client.post("/moderation/import-article", data={"url": f"{base}/fact-check"})
        assert read.status_code == 302 and "/moderation/submissions/" in read.headers["Location"]
        assert "A draft from the fact-check" in client.get(read.headers["Location"]).get_data(
            as_text=True
        )
        plain = client.post("/moderation/import-article", data={"url": f"{base}/plain"})
        assert plain.status_code == 400
        assert "no ClaimReview or MediaReview markup" in plain.get_data(as_text=True)
    settle(app)
    draft = moderation_of(app).submissions(["pending"])[0]
    assert draft.claim == "Rocket fired at the city last night" and draft.language == "el"
    assert draft.seen_url == "https://social.example/p/5"
    assert json.loads(draft.evidence_urls) == [f"{base}/fact-check"]
    assert "rated “Old photo”" in draft.notes
    page = client.get(read.headers["Location"]).get_data(as_text=True)
    assert f"entry {entry_id}:" in page  # the share image is a known fake: said at once


def test_a_partner_s_csv_feed_by_address_is_queued_for_review(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """Fact-Check Insights' CSV: dotted columns are nested keys; cells may hold JSON."""
    from .conftest import settle

    photo = edits.archetype(demo_image("chelsea"))
    header = (
        "id,@type,url,claimReviewed,reviewRating.alternateName,author.name,"
        "itemReviewed.appearance,mediaAuthenticityCategory\n"
    )

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            base = f"http://{self.headers['Host']}"
            appearance = json.dumps(
                [{"url": "https://social.example/c/1", "image": f"{base}/cat.jpg"}]
            ).replace('"', '""')
            rows = (
                f'1,ClaimReview,https://fc.example/cat,"Cat saved from the quake",'
                f'False context,Fact desk,"{appearance}",\n'
                "2,ClaimReview,https://fc.example/text,A statement only,False,Fact desk,,\n"
            )
            body = photo if self.path == "/cat.jpg" else (header + rows).encode()
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True)
    runner = app.test_cli_runner()
    with http_server(Feed) as base:
        first = runner.invoke(args=["import", f"{base}/feed.csv", "--review"])
        assert "1 added" in first.output and "1 failed" in first.output, first.output
        assert "no image to match" in first.output  # the text claim, said per line
        again = runner.invoke(args=["import", f"{base}/feed.csv", "--review"])
        assert "0 added, 1 already present" in again.output, again.output
    settle(app)
    (report,) = moderation_of(app).submissions(["pending"])
    assert report.claim == "Cat saved from the quake"
    assert report.seen_url == "https://social.example/c/1"
    assert json.loads(report.evidence_urls) == ["https://fc.example/cat"]
    assert "rated “False context”" in report.notes
    assert store_of(app).get_entries([1]) == {}  # nothing published unseen
