"""GET /api/v1/fingerprints: a device's own copy of the bank, kept up to date cheaply.

The extension's private mode downloads the bank's PDQ hashes once and then only what
changed; it matches on the device and asks for an entry only on a hit.
"""

from __future__ import annotations

import base64

import numpy as np
from flask import Flask
from flask.testing import FlaskClient

from server.matching.hashing import hash_picture
from server.matching.pdq import pdq_hashes

from ..conftest import add_fake, demo_image, make_app, store_of


def sync(client: FlaskClient, since: int = 0, **args: str) -> tuple[dict, dict[int, list]]:
    """Follow every page from ``since``: the last page's answer, and entries by id."""
    url = f"/api/v1/fingerprints?since={since}" + "".join(f"&{k}={v}" for k, v in args.items())
    found: dict[int, list] = {}
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.json
        body = answer.json
        found.update({item["id"]: item["images"] for item in body["entries"]})
        url = body["next"] and body["next"].removeprefix("http://localhost")
    return body, found


def codes(images: list[dict]) -> np.ndarray:
    raw = b"".join(base64.b64decode(image["codes"]) for image in images)
    return np.frombuffer(raw, np.uint8).reshape(-1, 32)


def test_a_first_sync_lists_every_published_entry_with_its_hashes(database_url: str) -> None:
    app = make_app(database_url)
    rocket, chelsea = add_fake(app, "rocket"), add_fake(app, "chelsea")
    body, found = sync(app.test_client())
    assert body["reset"] is True and body["version"] > 0
    assert set(found) == {rocket, chelsea} and body["deleted"] == []
    assert body["thresholds"] == {"match": 40, "possible": 48, "min_quality": 50}
    # A device hashing the picture as the server hashes a query lands on one of them.
    own = pdq_hashes(hash_picture(demo_image("rocket")), 1)[0][0]
    distances = np.unpackbits(codes(found[rocket]) ^ np.frombuffer(own, np.uint8), axis=1).sum(1)
    assert distances.min() <= 8
    # Whole (and trimmed, when there are flat bands) and two centre crops: "core".
    assert len(codes(found[rocket])) in (3, 4)
    _, everything = sync(app.test_client(), variants="all")
    assert len(codes(everything[rocket])) in (16, 17)


def test_later_syncs_carry_only_what_changed_and_what_was_withdrawn(database_url: str) -> None:
    app = make_app(database_url)
    rocket = add_fake(app, "rocket")
    client = app.test_client()
    first, _ = sync(client)
    nothing, found = sync(client, first["version"])
    assert (nothing["reset"], found, nothing["deleted"]) == (False, {}, [])
    coffee = add_fake(app, "coffee")
    store_of(app).set_status(rocket, "retracted")
    later, found = sync(client, first["version"])
    assert later["reset"] is False and later["version"] > first["version"]
    assert set(found) == {coffee} and later["deleted"] == [rocket]


def test_a_device_ahead_of_the_bank_starts_again(app: Flask, client: FlaskClient) -> None:
    add_fake(app, "rocket")
    body, found = sync(client, since=10_000)  # the bank was rebuilt since its last sync
    assert body["reset"] is True and len(found) == 1


def test_pages_are_consistent_and_cacheable(app: Flask, client: FlaskClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from server.api import check

    monkeypatch.setattr(check, "FINGERPRINT_PAGE", 1)
    ids = [add_fake(app, name) for name in ("rocket", "chelsea", "coffee")]
    first = client.get("/api/v1/fingerprints")
    assert first.headers["Cache-Control"] == "public, max-age=60" and first.headers["ETag"]
    assert "at=" in first.json["next"]  # later pages end at the first page's version
    body, found = sync(client)
    assert sorted(found) == ids and body["next"] is None
    again = client.get("/api/v1/fingerprints", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_bad_arguments_are_a_clear_400(client: FlaskClient) -> None:
    for query in ("since=-1", "since=abc", "after=1e9", "variants=every"):
        answer = client.get(f"/api/v1/fingerprints?{query}")
        assert answer.status_code == 400 and answer.json["error"]["code"] == "invalid_request"
