"""The command-line tools, as an operator runs them."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from server.cli import DEMO_FILE
from server.references import prepare

from . import edits
from .conftest import add_fake, demo_image, moderation_of, store_of, upload

LINE = {
    "title": "Game trailer frame shown as an airstrike",
    "category": "DecontextualizedContent",
    "claim": "Footage of last night's strike.",
    "origin": {"url": "https://example.org/trailer", "description": "Frame of a game trailer"},
    "images": [{"path": "frame.jpg", "role": "original"}],
}


def write_jsonl(folder: Path, *lines: object) -> Path:
    demo_image("rocket").save(folder / "frame.jpg", quality=90)
    path = folder / "fakes.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_import_is_idempotent_and_skips_bad_lines(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = {**LINE, "category": "Nonsense"}
    path = write_jsonl(
        tmp_path, LINE, "{not json", broken, {**LINE, "images": [{"path": "missing.jpg"}]}
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "1 added, 0 already present, 3 failed" in result.output
    assert "line 2" in result.output and "line 3" in result.output and "line 4" in result.output
    again = runner.invoke(args=["import", str(path)])
    assert "0 added, 1 already present, 3 failed" in again.output
    assert store_of(app).counts()["entries"] == 1


def test_imported_entry_matches_a_captioned_copy(app, client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app.test_cli_runner().invoke(args=["import", str(write_jsonl(tmp_path, LINE))])
    body = upload(client, edits.archetype(Image.open(tmp_path / "frame.jpg"))).get_json()
    assert body["result"] == "match"
    assert body["matches"][0]["entry"]["title"] == LINE["title"]


def test_an_entry_imported_with_the_page_it_circulated_in_accuses_only_its_picture(  # type: ignore[no-untyped-def]
    app, client, tmp_path: Path
) -> None:
    """Partners send the original and the screenshot that circulated: the screenshot's
    page is not evidence, so another picture in the same page is not a known fake."""
    edits.web_page(demo_image("rocket")).save(tmp_path / "page.jpg", quality=90)
    line = {
        **LINE,
        "images": [
            {"path": "frame.jpg", "role": "original"},
            {"path": "page.jpg", "role": "misused"},
        ],
    }
    app.test_cli_runner().invoke(args=["import", str(write_jsonl(tmp_path, line))])
    page_of_rocket = edits.jpeg(edits.web_page(demo_image("rocket")), 70)
    assert upload(client, page_of_rocket).get_json()["result"] == "match"
    for innocent in ("coffee", "chelsea"):
        page = edits.jpeg(edits.web_page(demo_image(innocent)), 70)
        assert upload(client, page).get_json()["result"] == "no_match"


def test_demo_data_is_labelled_and_loads_once(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    assert "4 added" in runner.invoke(args=["demo-data"]).output
    assert "0 added, 4 already present" in runner.invoke(args=["demo-data"]).output
    entries = store_of(app).list_entries(query=None, after=None, limit=10)
    assert all(e.demo and e.title.startswith("DEMO") for e in entries)
    assert DEMO_FILE.exists()


def test_export_round_trips_through_import(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import make_app

    runner = app.test_cli_runner()
    runner.invoke(args=["demo-data"])
    out = tmp_path / "export.jsonl"
    result = runner.invoke(args=["export", "--output", str(out)])
    assert "exported 4 entries" in result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines[0]["title"].startswith("DEMO") and lines[0]["images"][0]["sha256"]
    assert (tmp_path / "export_images").is_dir()
    # Same database: every line is recognised by its SHA-256, nothing is duplicated.
    assert "0 added, 4 already present" in runner.invoke(args=["import", str(out)]).output
    # A fresh database: the export is a complete import file.
    fresh = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    assert "4 added" in fresh.test_cli_runner().invoke(args=["import", str(out)]).output


def test_export_jsonld(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    runner.invoke(args=["demo-data"])
    result = runner.invoke(args=["export", "--format", "jsonld"])
    documents = json.loads(result.stdout)  # the summary goes to stderr
    assert len(documents) == 4
    assert [node["@type"] for node in documents[0]["@graph"]] == ["ClaimReview", "MediaReview"]


def test_create_token_prints_the_token_alone_on_the_last_line(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["create-token", "--role", "moderator"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("oc_") and " " not in token and len(token) > 30


def test_reindex_recomputes_hashes_from_work_pictures_and_matching_still_works(  # type: ignore[no-untyped-def]
    app, client, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["import", str(write_jsonl(tmp_path, LINE))])
    store = store_of(app)
    # An index from an older pipeline: the stored hashes no longer fit today's queries.
    [(image_id, _, _)] = store.reindexable_images()
    stale = Image.new("RGB", (64, 64), "white")
    stale.paste(demo_image("coffee").resize((64, 64)))
    store.refingerprint(
        [(image_id, prepare(edits.jpeg(stale, 90), role="original", max_pixels=10**8))]
    )
    query = edits.jpeg(edits.caption_band(demo_image("rocket")), 80)
    assert upload(client, query).get_json()["result"] == "no_match"

    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "Reindexed 1 image(s)." in result.output
    body = upload(client, query).get_json()
    assert body["result"] == "match" and body["matches"][0]["entry"]["title"] == LINE["title"]


def test_train_quantizer_files_every_image_and_new_ones_as_they_arrive(app, client) -> None:  # type: ignore[no-untyped-def]
    for name in ("rocket", "coffee", "astronaut"):
        add_fake(app, name)
    result = app.test_cli_runner().invoke(args=["train-quantizer", "--lists", "256"])
    assert result.exit_code == 0, result.output
    assert "Trained a quantizer with 256 lists; filed 3 image(s)." in result.output

    add_fake(app, "chelsea")  # stored after training: filed on the way in
    rows = store_of(app).feature_rows()
    assert rows.quantizer is not None and len(rows.quantizer.centroids) == 256
    assert len(rows.images) == 4
    assert all(f.lists is not None and len(f.lists) == len(f) for *_, f in rows.images)

    chelsea = demo_image("chelsea")  # a 50 % window: only stage 2 finds it
    w, h = round(chelsea.width * 0.71), round(chelsea.height * 0.71)
    window = chelsea.crop((chelsea.width - w, 0, chelsea.width, h))
    body = upload(client, edits.jpeg(window, 70)).get_json()
    assert body["result"] == "match"
    best = body["matches"][0]
    assert best["entry"]["title"] == "chelsea photo misused"
    assert best["method"] == "local-features"


def test_train_quantizer_refuses_more_lists_than_distinct_descriptors(app) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    result = app.test_cli_runner().invoke(args=["train-quantizer", "--lists", "60000"])
    assert result.exit_code == 1 and "distinct descriptors" in result.output
    assert store_of(app).feature_rows().quantizer is None


def test_cli_users_and_roles(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()

    def create(password: str):  # type: ignore[no-untyped-def]
        return runner.invoke(
            args=["create-user", "--email", "a@example.org", "--name", "Ana"]
            + ["--role", "moderator", "--password", password]
        )

    for weak in ("pw-123456", "password1234", "aaaaaaaaaaaaaaaa"):  # short, common, repeats
        refused = create(weak)
        assert refused.exit_code == 1 and "password" in refused.output.lower(), weak
    created = create("violet staple orbit 42")
    assert created.exit_code == 0, created.output
    assert create("violet staple orbit 43").exit_code == 1  # the account exists
    assert runner.invoke(args=["set-role", "a@example.org", "admin"]).exit_code == 0
    assert (
        moderation_of(app).authenticate("a@example.org", "violet staple orbit 42").role == "admin"
    )
    assert runner.invoke(args=["set-role", "nobody@example.org", "admin"]).exit_code == 1
    # The only active admin cannot be demoted or deactivated: nobody could manage accounts.
    assert runner.invoke(args=["set-role", "a@example.org", "moderator"]).exit_code == 1
    assert runner.invoke(args=["set-active", "a@example.org", "no"]).exit_code == 1
    reset = runner.invoke(
        args=["set-password", "a@example.org", "--password", "ember quill harbor 7"]
    )
    assert reset.exit_code == 0, reset.output
    assert moderation_of(app).authenticate("a@example.org", "violet staple orbit 42") is None


def test_tokens_expire_and_can_be_revoked_from_the_cli(app, client) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    created = runner.invoke(args=["create-token", "--role", "moderator", "--name", "partner"])
    assert "valid for 90 days" in created.output
    token = created.output.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/feedback", headers=bearer).status_code == 200
    listing = runner.invoke(args=["list-tokens"]).output
    token_id = listing.split("\t")[0]
    assert "partner\tmoderator" in listing and "active" in listing
    assert runner.invoke(args=["revoke-token", token_id]).exit_code == 0
    assert client.get("/api/v1/feedback", headers=bearer).status_code == 401
    assert "revoked" in runner.invoke(args=["list-tokens"]).output
    # An expired token opens nothing either.
    expired = moderation_of(app).create_token("old", "moderator", days=-1)
    assert (
        client.get("/api/v1/feedback", headers={"Authorization": f"Bearer {expired}"}).status_code
        == 401
    )


def test_import_indexes_a_video_told_by_its_content_with_a_progress_bar(
    app, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from .videos import frame_of, make_video

    photos = [demo_image(n) for n in ("chelsea", "rocket")]
    (tmp_path / "trailer.bin").write_bytes(make_video(photos, seconds=4, fps=8))  # no telling name
    line = {**LINE, "images": [{"path": "trailer.bin", "role": "original"}]}
    path = tmp_path / "videos.jsonl"
    path.write_text(json.dumps(line) + "\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 added" in result.output and "1 video(s) indexed, 0 failed" in result.output
    assert "Indexing videos" in result.stderr
    client = app.test_client()
    still = edits.jpeg(frame_of(photos, 4.0, 3.0, (640, 360)), 80)
    match = upload(client, still).get_json()["matches"][0]
    assert 1.0 <= match["frame_time_s"] <= 4.0
    again = runner.invoke(args=["import", str(path)])
    assert "0 added, 1 already present" in again.output
