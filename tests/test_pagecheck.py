"""Checking every image of a post: bounded however the page is written (review F6)."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

from bench.hostile.payloads import many_images_page
from server.pagecheck import MAX_IMAGES, image_urls

from . import edits
from .conftest import demo_image, make_app, token
from .servers import http_server


def test_link_extraction_is_linear_and_capped() -> None:
    page = many_images_page(70_000).decode()
    started = time.perf_counter()
    urls = image_urls(page, "https://social.example/post/1")
    assert time.perf_counter() - started < 2.0  # was 30 s and a killed worker
    assert len(urls) == MAX_IMAGES and len(set(urls)) == MAX_IMAGES


def test_a_page_of_slow_images_is_answered_within_its_budget(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    image = edits.jpeg(demo_image("coffee"))

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/post":
                body = "".join(f'<img src="/slow/{n}.jpg">' for n in range(30)).encode()
            else:
                time.sleep(3)  # every image hangs longer than a fetch may take
                body = image
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True, FETCH_TIMEOUT=1.0, PAGE_CHECK_BUDGET=2.5)
    client = app.test_client()
    with http_server(Slow) as base:
        started = time.perf_counter()
        response = client.post(
            "/api/v1/check-page", json={"url": base + "/post"}, headers=token(app, "moderator")
        )
        took = time.perf_counter() - started
    assert response.status_code == 200 and took < 4.5, took
    rows = response.get_json()["images"]
    assert len(rows) == 30
    codes = {row["error"]["code"] for row in rows}
    assert codes <= {"fetch_timeout", "budget_exceeded"} and "budget_exceeded" in codes
