"""The work budget: requests are counted by what they cost, not only one by one (F7)."""

from __future__ import annotations

import io

from bench.hostile.payloads import heavy_png

from .conftest import make_app, upload


def test_large_images_spend_a_work_budget_that_cached_repeats_do_not(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    app = make_app(
        sqlite_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_CHECK="1000 per minute",
        RATELIMIT_WORK="30 per minute",
    )
    client = app.test_client()
    big = heavy_png(12.0)  # 12 work units each
    assert upload(client, big).status_code == 200
    assert upload(client, big).get_json()["cached"] is True  # free
    answers = [upload(client, big + b"\0" * n) for n in range(1, 4)]
    # 12 units each: the budget is spent after the third image (36 of 30), so the
    # next one is refused before anything is decoded.
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.get_json()["error"]["code"] == "work_budget_exceeded"
    other = client.post(
        "/api/v1/check",
        data={"image": (io.BytesIO(big + b"\0\0"), "image.png")},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 200  # another client has its own budget
