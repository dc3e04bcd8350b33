"""Worker warm-up: the first reader after a deploy must not pay for a cold worker."""

from __future__ import annotations

import time
from collections import Counter

from server import create_app
from server.checks import warm_up
from server.matching import matcher
from server.matching.index import IndexHolder
from server.records import EntryPatch, NegativeIn
from server.references import prepare
from server.store import Actor

from . import edits
from .conftest import (
    add_fake,
    add_picture_fake,
    demo_bytes,
    demo_image,
    make_app,
    moderation_of,
    store_of,
    upload,
)


def test_warm_up_runs_both_stages_once_and_caches_nothing(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    calls: Counter[str] = Counter()

    def counted(name, fn):  # type: ignore[no-untyped-def]
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(matcher, "extract", counted("extract", matcher.extract))
    monkeypatch.setattr(matcher, "picture_boxes", counted("boxes", matcher.picture_boxes))
    store = store_of(app)
    monkeypatch.setattr(store, "index_rows", counted("index loads", store.index_rows))

    warm_up(app)
    assert calls["extract"] and calls["boxes"], "stage 2 must be warmed too"
    assert calls["index loads"] == 1

    # Real checks then use the loaded index, and the warm-up left no answer behind.
    body = upload(client, demo_bytes("rocket")).get_json()
    assert body["result"] == "match" and body["cached"] is False
    assert calls["index loads"] == 1


def test_a_text_edit_shows_at_once_without_rebuilding_the_index(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket")
    assert upload(client, demo_bytes("rocket")).get_json()["result"] == "match"
    loads: list[int] = []
    load = store_of(app).index_rows
    monkeypatch.setattr(store_of(app), "index_rows", lambda *a: loads.append(1) or load(*a))

    moderation = app.extensions["origincheck.moderation"]
    entry = store_of(app).get_entry(entry_id)
    patch = EntryPatch(claim="Corrected: this is a game trailer.")
    moderation.edit_entry(entry_id, entry.version, patch, Actor("test", "moderator"))
    body = upload(client, demo_bytes("rocket")).get_json()
    assert body["cached"] is False  # the verdict with the old claim is not served again
    assert body["matches"][0]["entry"]["claim"] == "Corrected: this is a game trailer."
    assert loads == []


def test_a_publish_or_retraction_reloads_that_entry_alone(database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Refreshed in the request whatever this machine's load (a slow first build would
    # hand refreshes to a thread, and this test is about what is reloaded, not when).
    monkeypatch.setattr(IndexHolder, "BACKGROUND_AFTER", 60.0)
    app = make_app(database_url)
    client = app.test_client()
    add_fake(app, "coffee")
    assert upload(client, demo_bytes("rocket")).get_json()["result"] == "no_match"
    store = store_of(app)
    loads: list[object] = []
    load = store.index_rows
    monkeypatch.setattr(store, "index_rows", lambda *a: loads.append(a) or load(*a))

    rocket = add_fake(app, "rocket")  # published: matches at once, the bank is not reread
    body = upload(client, demo_bytes("rocket")).get_json()
    assert body["result"] == "match" and body["matches"][0]["entry"]["id"] == rocket
    assert loads == [({rocket},)]

    store.set_status(rocket, "retracted")
    assert upload(client, demo_bytes("rocket")).get_json()["result"] == "no_match"
    assert upload(client, demo_bytes("coffee")).get_json()["result"] == "match"
    assert loads == [({rocket},), ({rocket},)]


def test_another_worker_sees_the_negative_bank_change_within_a_second(
    database_url, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A moderator's worker stores a lookalike; a reader's worker, polling as deployed
    (every 0.25 s), stops calling it a fake within a second, and reloads no entry."""
    moderators, readers = (make_app(database_url, INDEX_POLL_INTERVAL=0.25) for _ in range(2))
    first, second = edits.burst(demo_image("rocket"))
    add_picture_fake(moderators, first)
    reader = readers.test_client()
    time.sleep(0.3)
    assert upload(reader, edits.jpeg(second, 70)).get_json()["result"] == "match"
    loads: list[object] = []
    rows = store_of(readers).index_rows
    monkeypatch.setattr(store_of(readers), "index_rows", lambda *a: loads.append(a) or rows(*a))
    image = prepare(edits.jpeg(second, 90), role="original", max_pixels=10**8)
    fields = NegativeIn(kind="lookalike", note="The next frame")
    moderation_of(moderators).add_negative(fields, image, Actor("test", "moderator"))
    deadline = time.monotonic() + 1.0
    while upload(reader, edits.jpeg(second, 70)).get_json()["result"] != "no_match":
        assert time.monotonic() < deadline, "the reader's worker still calls the lookalike a fake"
        time.sleep(0.05)
    assert upload(reader, edits.jpeg(first, 70)).get_json()["result"] == "match"
    assert loads == []


def test_warm_up_with_the_store_down_still_lets_the_worker_boot(caplog) -> None:  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none", "TESTING": True})
    warm_up(app)  # must not raise: gunicorn would refuse to boot the worker
    assert "warm-up failed" in caplog.text


def test_a_check_with_the_store_down_answers_503_json() -> None:
    app = create_app({"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/none", "TESTING": True})
    response = upload(app.test_client(), demo_bytes("rocket"))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "store_unavailable"
