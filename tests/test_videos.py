"""A reference video, end to end: added by a moderator, indexed in the background, and
then any screenshot of any moment of it is found, with the time, as is a clip of it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.records import EntryFields
from server.store import get_videos

from . import edits
from .conftest import demo_image, make_app, settle, store_of, token, upload
from .videos import frame_of, make_video

PHOTOS = ["chelsea", "astronaut", "rocket", "coffee"]
SIZE = (640, 360)
SECONDS = 8.0


def empty_entry(app) -> int:  # type: ignore[no-untyped-def]
    """An entry with no still image: its video will be its only reference."""
    fields = EntryFields.model_validate(
        {
            "title": "Trailer",
            "category": "DecontextualizedContent",
            "claim": "Footage of last night's strike.",
            "origin": {"description": "A video"},
        }
    )
    return store_of(app).add_entry(fields, [])


@pytest.fixture
def trailer(sqlite_url):  # type: ignore[no-untyped-def]
    """An entry whose origin is a video (a 'game trailer'), indexed from its file."""
    app = make_app(sqlite_url)
    fields = EntryFields.model_validate(
        {
            "title": "Game trailer frames passed off as an airstrike",
            "category": "DecontextualizedContent",
            "claim": "Footage of last night's strike.",
            "origin": {
                "description": "A video-game trailer",
                "url": "https://www.youtube.com/watch?v=trailer01",
            },
        }
    )
    entry_id = store_of(app).add_entry(fields, [])
    photos = [demo_image(n) for n in PHOTOS]
    client = app.test_client()
    sent = client.post(
        f"/api/v1/entries/{entry_id}/videos",
        data={"video": (io.BytesIO(make_video(photos, seconds=SECONDS)), "trailer.mp4")},
        content_type="multipart/form-data",
        headers=token(app, "moderator"),
    )
    assert sent.status_code == 202, sent.get_json()
    video = sent.get_json()["video"]
    assert video["status"] in ("pending", "indexing", "done")
    settle(app)
    return app, client, entry_id, video, photos


def test_a_video_is_indexed_in_the_background_and_reports_progress(trailer) -> None:  # type: ignore[no-untyped-def]
    app, client, entry_id, video, _ = trailer
    status = client.get(video["status_url"], headers=token(app, "moderator")).get_json()["video"]
    assert status["status"] == "done" and status["progress"] == 1.0
    assert 4 <= status["frames"] <= 8 and abs(status["duration_s"] - SECONDS) < 0.2
    entry = client.get(f"/api/v1/entries/{entry_id}").get_json()
    assert entry["images"] == []  # frames are not listed as the entry's stills
    assert entry["videos"][0]["poster_url"].endswith(f"/videos/{video['id']}/poster.jpg")
    assert client.get(entry["videos"][0]["poster_url"]).mimetype == "image/jpeg"


@pytest.mark.parametrize("moment", [0.9, 3.1, 5.2, 7.6])
@pytest.mark.parametrize("edited", [True, False], ids=["captioned", "as-is"])
def test_a_screenshot_of_any_moment_is_found_with_its_time(trailer, moment, edited) -> None:  # type: ignore[no-untyped-def]
    """Edited, stage 2 finds it; as-is, a near hash does, and stage 2 still names the
    frame and the moments that show the same picture."""
    app, client, entry_id, video, photos = trailer
    copy = still = frame_of(photos, SECONDS, moment, SIZE)
    if edited:
        copy = edits.caption_band(edits.crop(still, 0.06), "Strike on the convoy, last night")
    body = upload(client, edits.jpeg(copy, 70)).get_json()
    assert body["result"] == "match", body
    match = body["matches"][0]
    assert match["entry"]["id"] == entry_id and match["video_id"] == video["id"]
    assert abs(match["frame_time_s"] - moment) <= 2.0
    # Where other frames show the same picture, the answer gives the range, and it holds
    # the moment; where it gives none, the one frame it names is the moment's.
    first, last = match["frame_range_s"] or [match["frame_time_s"]] * 2
    assert first - 2.0 <= moment <= last + 2.0 and first <= match["frame_time_s"] <= last
    assert match["frame_thumbnail_url"].startswith("http://localhost/images/")
    assert match["origin_at_url"].startswith("https://www.youtube.com/watch?v=trailer01&t=")


def test_frames_of_another_video_are_not_matched(trailer) -> None:  # type: ignore[no-untyped-def]
    app, client, *_ = trailer
    other = [edits.statement(f"Breaking news number {n}: nothing to see here") for n in range(4)]
    for moment in (1.0, 3.0, 5.0):
        still = frame_of(other, SECONDS, moment, SIZE)
        assert upload(client, edits.jpeg(still, 80)).get_json()["result"] == "no_match"


def test_a_clip_is_checked_frame_by_frame(trailer) -> None:  # type: ignore[no-untyped-def]
    app, client, entry_id, _, photos = trailer
    # A re-cut: someone else's shot first, then the trailer's rocket shot, captioned.
    clip = make_video([edits.statement("Live from the front"), photos[2]], seconds=4, fps=10)
    body = upload(client, clip).get_json()
    assert body["result"] == "match"
    match = body["matches"][0]
    assert match["entry"]["id"] == entry_id
    assert 2.0 <= match["clip_time_s"] <= 4.0  # the rocket shot is the clip's second half
    assert 4.0 - 0.5 <= match["frame_time_s"] <= 6.0 + 0.5  # and the trailer's third shot


def test_bad_videos_get_a_clear_4xx(trailer) -> None:  # type: ignore[no-untyped-def]
    app, client, entry_id, *_ = trailer
    moderator = token(app, "moderator")

    def add(data: bytes):  # type: ignore[no-untyped-def]
        return client.post(
            f"/api/v1/entries/{entry_id}/videos",
            data={"video": (io.BytesIO(data), "v.mp4")},
            content_type="multipart/form-data",
            headers=moderator,
        )

    still = io.BytesIO()
    Image.new("RGB", (64, 64)).save(still, "PNG")
    assert add(still.getvalue()).status_code == 415
    broken = add(b"\x00\x00\x00\x18ftypisom" + b"\x01" * 3000)
    assert broken.status_code == 422 and broken.get_json()["error"]["code"] == "video_unreadable"
    clip_broken = upload(client, b"\x00\x00\x00\x18ftypisom" + b"\x01" * 3000)
    assert clip_broken.status_code == 422
    long = make_video([demo_image("coffee")], seconds=3, fps=5)
    app.config["CLIP_MAX_SECONDS"] = 2
    too_long = upload(client, long)
    assert too_long.status_code == 413 and too_long.get_json()["error"]["code"] == "video_too_long"
    again = add(make_video([demo_image(n) for n in PHOTOS], seconds=SECONDS))
    assert again.status_code == 409


def test_a_video_that_fails_to_index_says_why_and_matches_nothing(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_url, VIDEO_DECODE_BUDGET=0)
    entry_id = empty_entry(app)
    with app.app_context():
        from server.videos import add_video

        video_id = add_video(entry_id, make_video([demo_image("rocket")], seconds=2, fps=5))
    settle(app)
    with app.app_context():
        failed = get_videos().get(video_id)
    assert (
        failed is not None and failed.status == "failed" and "Decoding took" in (failed.error or "")
    )
    client = app.test_client()
    assert upload(client, edits.jpeg(demo_image("rocket"), 80)).get_json()["result"] == "no_match"


def test_pages_show_the_frame_its_time_and_the_indexing(trailer) -> None:  # type: ignore[no-untyped-def]
    from .conftest import sign_in

    app, client, entry_id, video, photos = trailer
    still = edits.jpeg(frame_of(photos, SECONDS, 5.2, SIZE), 75)
    page = client.post(
        "/", data={"image": (io.BytesIO(still), "x.jpg")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Frame at 0:0" in page and "video, at that moment" in page
    assert "youtube.com/watch?v=trailer01&amp;t=" in page
    clip = make_video([photos[2]], seconds=2, fps=5)
    page = client.post(
        "/", data={"image": (io.BytesIO(clip), "clip.mp4")}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Known fake or misused image" in page and "of your clip" in page
    entry_page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Reference videos" in entry_page and "frames searched" in entry_page
    assert 'http-equiv="refresh"' not in entry_page  # indexed: nothing to wait for
    sign_in(app, client, "moderator")
    edit_page = client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    assert "Add a reference video" in edit_page


def test_a_moderator_adds_a_video_on_the_edit_page_and_sees_it_indexed(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from server.store import NewVideo

    from .conftest import add_fake, sign_in

    app = make_app(sqlite_url)
    entry_id = add_fake(app, "rocket")
    client = app.test_client()
    # Waiting for the job: the public page shows a progress bar and reloads itself.
    with app.app_context():
        get_videos().add(entry_id, NewVideo("original", "0" * 64, b"queued"))
    waiting = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "<progress" in waiting and 'http-equiv="refresh"' in waiting
    sign_in(app, client, "moderator")
    clip = make_video([demo_image("chelsea"), demo_image("coffee")], seconds=4, fps=8)
    sent = client.post(
        f"/moderation/entries/{entry_id}/videos",
        data={"video": (io.BytesIO(clip), "b-roll.mp4"), "role": "misused"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "being indexed" in sent.get_data(as_text=True) or "added" in sent.get_data(as_text=True)
    settle(app)
    with app.app_context():
        videos = get_videos().of_entry(entry_id)
    assert [v.status for v in videos][-1] == "done" and videos[-1].role == "misused"
    not_video = client.post(
        f"/moderation/entries/{entry_id}/videos",
        data={"video": (io.BytesIO(edits.jpeg(demo_image("coffee"))), "x.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "this file is not a video" in not_video.get_data(as_text=True)
    audit = client.get(f"/moderation/entries/{entry_id}/edit").get_data(as_text=True)
    assert "add_video" in audit


def test_indexing_runs_on_the_job_worker_and_survives_a_kill_9(postgres_url, redis_url) -> None:  # type: ignore[no-untyped-def]
    """Production: the video is indexed by `flask worker` on Redis, never by the web
    worker; killed mid-video, the sweep queues it again and it ends indexed once."""
    import signal
    import subprocess
    import time

    from .conftest import REDIS_URL
    from .servers import flask, in_session, job_worker, server_env, stop_session

    env = server_env(
        postgres_url,
        REDIS_URL=REDIS_URL,
        ORIGINCHECK_JOB_OVERDUE="1",
        ORIGINCHECK_JOB_SWEEP_EVERY="1",
        ORIGINCHECK_VIDEO_EVERY="0.5",  # many frames: a long job to kill in the middle
    )
    flask(env, "init-db")
    app = make_app(postgres_url, REDIS_URL=REDIS_URL)
    entry_id = empty_entry(app)
    photos = [demo_image(n) for n in PHOTOS] * 3
    with app.app_context():
        from server.videos import add_video

        video_id = add_video(entry_id, make_video(photos, seconds=24, fps=12))
        assert get_videos().get(video_id).status == "pending"  # queued: the web side did nothing

    def status() -> tuple[str, float]:
        with app.app_context():
            video = get_videos().get(video_id)
        assert video is not None
        return video.status, video.progress

    first = job_worker(env)
    deadline = time.monotonic() + 60
    while status()[0] != "indexing" or status()[1] == 0:
        assert time.monotonic() < deadline, status()
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)  # the worker alone: its work-horse must die with it
    first.wait()
    deadline = time.monotonic() + 5
    while in_session(first.pid):  # the horse, in a process group of its own
        assert time.monotonic() < deadline, "the work-horse outlived its worker"
        time.sleep(0.05)
    assert status()[0] == "indexing"
    second = job_worker(env)
    try:
        deadline = time.monotonic() + 120
        while status()[0] != "done":
            assert time.monotonic() < deadline, status()
            assert status()[0] != "failed"
            time.sleep(0.5)
    finally:
        stop_session(second, signal.SIGTERM)  # warm: waits for a job (a queued retry)
        try:
            second.wait(timeout=20)
        except subprocess.TimeoutExpired:
            stop_session(second, signal.SIGKILL)  # what is asserted is in the database
            second.wait(timeout=10)
        stop_session(second, signal.SIGKILL)  # a work-horse left behind, if any
    with app.app_context():
        video = get_videos().get(video_id)
        frames = get_videos().frames_of(list(range(1, 2000)))
    assert video is not None and video.frames == len(frames) >= 12  # once, not twice


def test_a_volunteer_reports_a_video_and_its_approval_indexes_it(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from .conftest import sign_in

    app = make_app(sqlite_url)
    client = app.test_client()
    photos = [demo_image(n) for n in PHOTOS]
    sent = client.post(
        "/api/v1/submissions",
        data={
            "image": (io.BytesIO(make_video(photos, seconds=SECONDS)), "strike.mp4"),
            "claim": "Video of last night's strike",
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 202, sent.get_json()
    submission_id = sent.get_json()["id"]
    settle(app)
    sign_in(app, client, "moderator")
    page = client.get(f"/moderation/submissions/{submission_id}").get_data(as_text=True)
    assert "This report is a video" in page
    approved = client.post(
        f"/api/v1/submissions/{submission_id}/approve",
        json={"title": "Old footage shown as new", "category": "DecontextualizedContent"},
        headers=token(app, "moderator"),
    )
    assert approved.status_code == 200, approved.get_json()
    # The report's page follows the indexing of its video: a progress bar, then the poster.
    review = client.get(f"/moderation/submissions/{submission_id}").get_data(as_text=True)
    assert "Approved as" in review and "Reference videos" in review
    assert "<progress" in review or "first frame of video" in review
    settle(app)
    review = client.get(f"/moderation/submissions/{submission_id}").get_data(as_text=True)
    assert "first frame of video" in review and 'http-equiv="refresh"' not in review
    entry = approved.get_json()["entry"]
    with app.app_context():
        videos = get_videos().of_entry(entry["id"])
    assert [v.status for v in videos] == ["done"] and videos[0].role == "misused"
    still = edits.jpeg(frame_of(photos, SECONDS, 6.5, SIZE), 75)
    match = upload(client, still).get_json()["matches"][0]
    assert match["entry"]["id"] == entry["id"] and abs(match["frame_time_s"] - 6.5) <= 2.0
