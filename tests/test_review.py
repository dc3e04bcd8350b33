"""What a report looks like is found once, in the background; the queue never decodes.

Security review F2 and reliability review P3/P10: opening the queue decoded every
listed report again, so a few hostile or 20 MB uploads made it time out on every try,
and reports were stored whole, 20 MB each, with no limit.
"""

from __future__ import annotations

import io
import signal
import time

import numpy as np
import pytest
from PIL import Image

from server.matching import decode as decode_module

from . import edits
from .conftest import (
    REDIS_URL,
    add_fake,
    demo_image,
    make_app,
    moderation_of,
    settle,
    sign_in,
    submit,
    token,
)
from .servers import flask, job_worker, server_env, stop_session


def test_the_queue_lists_reports_without_decoding_any(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    add_fake(app, "rocket")
    ids = [submit(client, "rocket", claim=f"copy {n}") for n in range(3)]
    settle(app)

    def forbidden(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the queue decoded an image")

    monkeypatch.setattr(decode_module, "decode", forbidden)
    listed = client.get("/api/v1/submissions?status=open&limit=2", headers=token(app, "moderator"))
    body = listed.get_json()
    assert [item["id"] for item in body["items"]] == ids[:2]
    assert all(item["analysis"] == "done" for item in body["items"])
    assert body["items"][0]["candidates"]["entries"][0]["confirmed"] is True
    rest = client.get(body["next"], headers=token(app, "moderator")).get_json()
    assert [item["id"] for item in rest["items"]] == ids[2:] and rest["next"] is None
    sign_in(app, client, "moderator")
    page = client.get("/moderation/").get_data(as_text=True)
    assert "3 reports" in page and "is entry" in page


def test_large_reports_are_kept_reduced_and_the_total_is_capped(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(
        sqlite_url,
        SUBMISSION_KEEP_BYTES=200_000,
        SUBMISSION_KEEP_SIDE=512,
        SUBMISSIONS_QUOTA_BYTES=300_000,
    )
    client = app.test_client()
    noise = np.random.default_rng(0).integers(0, 255, (1500, 2000, 3), dtype=np.uint8)
    big = io.BytesIO()
    Image.fromarray(noise).save(big, "JPEG", quality=95)
    assert len(big.getvalue()) > 1_000_000

    def send(data: bytes):  # type: ignore[no-untyped-def]
        return client.post(
            "/api/v1/submissions",
            data={"image": (io.BytesIO(data), "big.jpg"), "claim": "big"},
            content_type="multipart/form-data",
        )

    first = send(big.getvalue())
    assert first.status_code == 202
    kept = moderation_of(app).submission(first.get_json()["id"], with_image=True)
    assert len(kept.image) < len(big.getvalue()) and kept.image_size == len(kept.image)
    assert max(Image.open(io.BytesIO(kept.image)).size) <= 512
    small = edits.archetype(demo_image("chelsea"))
    answers = [send(small + n.to_bytes(2, "big")).status_code for n in range(100)]
    assert 503 in answers  # the quota of open reports is reached
    assert answers.index(503) > 0


def test_jobs_run_on_redis_and_survive_a_killed_worker(postgres_url, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The production way: reports queued on Redis, taken by `flask worker`; a worker
    killed with -9 mid-queue loses nothing (the sweep queues overdue work again)."""
    env = server_env(
        postgres_url,
        REDIS_URL=REDIS_URL,
        ORIGINCHECK_JOB_OVERDUE="1",
        ORIGINCHECK_JOB_SWEEP_EVERY="1",
    )
    flask(env, "init-db")
    flask(env, "demo-data")
    app = make_app(postgres_url, REDIS_URL=REDIS_URL)
    client = app.test_client()
    ids = [submit(client, "rocket", claim=f"copy {n}") for n in range(6)]
    store = moderation_of(app)
    assert {store.submission(i).analysis for i in ids} == {"pending"}

    worker = job_worker(env)
    time.sleep(4)  # it loads the index and starts on the queue
    stop_session(worker, signal.SIGKILL)  # the worker and the job's forked work-horse
    worker.wait()
    restarted = job_worker(env)
    try:
        deadline = time.monotonic() + 60
        while {store.submission(i).analysis for i in ids} != {"done"}:
            assert time.monotonic() < deadline, [store.submission(i).analysis for i in ids]
            time.sleep(0.5)
    finally:
        stop_session(restarted, signal.SIGTERM)
        restarted.wait(timeout=20)
        stop_session(restarted, signal.SIGKILL)  # a work-horse left behind, if any
    found = store.submission(ids[0]).candidates
    assert found and '"confirmed": true' in found


def test_the_worker_refuses_to_start_without_redis(app) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 1 and "REDIS_URL" in result.output


@pytest.fixture
def app(sqlite_url):  # type: ignore[no-untyped-def]
    return make_app(sqlite_url)
