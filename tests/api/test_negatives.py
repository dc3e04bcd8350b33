"""The negative bank through the moderators' API: what it holds is never evidence."""

from __future__ import annotations

import io
import json
from pathlib import Path

from flask.testing import FlaskClient
from PIL import Image

from .. import edits
from ..conftest import add_picture_fake, demo_image, token, upload


def add(client: FlaskClient, headers: dict[str, str], picture: Image.Image, kind: str, **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/negatives",
        data={"image": (io.BytesIO(edits.jpeg(picture, 90)), "item.jpg"), "kind": kind, **form},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_a_lookalike_in_the_bank_is_no_longer_called_the_fake_it_resembles(app, client) -> None:  # type: ignore[no-untyped-def]
    first, second = edits.burst(demo_image("rocket"))
    add_picture_fake(app, first)
    assert upload(client, edits.jpeg(second, 70)).get_json()["result"] == "match"
    moderator = token(app, "moderator")
    added = add(client, moderator, second, "lookalike", note="The next frame of the burst")
    assert added.status_code == 201, added.get_json()
    item = added.get_json()["negative"]
    assert item["kind"] == "lookalike" and item["status"] == "active"
    assert upload(client, edits.jpeg(second, 70)).get_json()["result"] == "no_match"
    assert upload(client, edits.jpeg(first, 70)).get_json()["result"] == "match"
    retracted = client.post(
        f"/api/v1/negatives/{item['id']}/status", json={"status": "retracted"}, headers=moderator
    )
    assert retracted.status_code == 200
    assert upload(client, edits.jpeg(second, 70)).get_json()["result"] == "match"
    events = client.get("/api/v1/audit?target=negative", headers=moderator).get_json()["items"]
    assert [e["action"] for e in events] == ["negative_retracted", "negative_add"]


def test_a_meme_template_in_the_bank_leaves_only_the_words_as_evidence(app, client) -> None:  # type: ignore[no-untyped-def]
    template = demo_image("coffee")
    add_picture_fake(app, edits.meme(template, "troops poisoned the water"), "A false meme")
    innocent = edits.jpeg(edits.meme(template, "monday morning again"), 80)
    moderator = token(app, "moderator")
    assert add(client, moderator, template.resize((640, 640)), "template").status_code == 201
    assert upload(client, innocent).get_json()["result"] == "no_match"
    known = edits.jpeg(edits.meme(template, "troops poisoned the water"), 80)
    assert upload(client, known).get_json()["result"] == "match"


def test_the_bank_is_for_moderators_and_refuses_bad_items(app, client) -> None:  # type: ignore[no-untyped-def]
    picture = demo_image("chelsea")
    assert add(client, {}, picture, "overlay").status_code == 401
    assert add(client, token(app, "volunteer"), picture, "overlay").status_code == 403
    moderator = token(app, "moderator")
    wrong = add(client, moderator, picture, "sticker")
    assert wrong.status_code == 400 and "kind" in wrong.get_json()["error"]["message"]
    assert add(client, moderator, picture, "overlay").status_code == 201
    again = add(client, moderator, picture, "overlay")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "duplicate"
    empty = client.post("/api/v1/negatives", json={"kind": "overlay"}, headers=moderator)
    assert empty.status_code == 400 and empty.get_json()["error"]["code"] == "missing_image"
    broken = client.post(
        "/api/v1/negatives",
        data={"image": (io.BytesIO(b"not an image"), "x.jpg"), "kind": "overlay"},
        content_type="multipart/form-data",
        headers=moderator,
    )
    assert broken.status_code in (400, 415) and "error" in broken.get_json()
    listed = client.get("/api/v1/negatives?kind=overlay", headers=moderator).get_json()
    assert [n["kind"] for n in listed["items"]] == ["overlay"] and listed["next"] is None
    thumb = client.get(listed["items"][0]["thumbnail_url"], headers=moderator)
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"


def test_partners_import_the_bank_from_json_lines(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    demo_image("coffee").save(tmp_path / "template.jpg", quality=90)
    lines = [
        {"kind": "template", "note": "Coffee cup meme", "path": "template.jpg"},
        {"kind": "nonsense", "path": "template.jpg"},
        {"kind": "overlay", "path": "missing.jpg"},
    ]
    path = tmp_path / "negatives.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-negatives", str(path)])
    assert "1 added, 0 already present, 2 failed" in first.output
    second = runner.invoke(args=["import-negatives", str(path)])
    assert "0 added, 1 already present, 2 failed" in second.output
