"""Server-side URL fetching against local servers: what is fetched, what is refused."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from server.fetch import FetchError, FetchPolicy, check_address, fetch

from . import edits
from .conftest import add_fake, demo_image, make_app
from .servers import http_server

JPEG = edits.jpeg(demo_image("rocket"), 80)


class Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(50):
                self.wfile.write(b"\xff" * 10)
                self.wfile.flush()
                time.sleep(0.1)
            return
        status, headers, body = self.routes.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    Handler.routes = {
        "/photo.jpg": (200, {"Content-Type": "image/jpeg"}, JPEG),
        "/lying.jpg": (200, {"Content-Type": "image/jpeg"}, b"<html>not an image</html>"),
        "/hop": (302, {"Location": "/photo.jpg"}, b""),
        "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/to-private": (301, {"Location": "http://10.0.0.7/admin"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/big.jpg": (200, {}, b"\xff\xd8\xff" + b"\x00" * 300_000),
        "/gone": (410, {}, b"gone"),
    }
    with http_server(Handler) as base:
        yield base


LOOPBACK_OK = FetchPolicy(max_bytes=200_000, timeout=2.0, allow_loopback=True)


def test_fetches_an_image_and_follows_a_redirect(server: str) -> None:
    assert fetch(server + "/photo.jpg", LOOPBACK_OK) == JPEG
    assert fetch(server + "/hop", LOOPBACK_OK) == JPEG


def test_loopback_is_refused_unless_explicitly_allowed(server: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(server + "/photo.jpg", FetchPolicy(max_bytes=200_000))
    assert (caught.value.code, caught.value.status) == ("url_forbidden", 403)


@pytest.mark.parametrize("path", ["/to-metadata", "/to-private"])
def test_redirect_to_a_private_address_is_refused(server: str, path: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(server + path, LOOPBACK_OK)
    assert caught.value.code == "url_forbidden"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/loop", "too_many_redirects"),
        ("/big.jpg", "image_too_large"),
        ("/gone", "fetch_failed"),
        ("/slow", "fetch_timeout"),
    ],
)
def test_bounded_in_hops_bytes_status_and_time(server: str, path: str, code: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(server + path, LOOPBACK_OK)
    assert caught.value.code == code
    assert time.monotonic() - started < 4


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::",
        "ff02::1",
        # Python's is_global passes these (security review F16): deprecated site-local,
        # documentation prefixes, the 6to4 relay anycast, AS112.
        "fec0::1",
        "3fff::1",
        "2001:db8::1",
        "192.88.99.1",
        "2620:4f:8000::1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(FetchError):
        check_address(address)


def test_names_that_resolve_inward_look_like_names_that_do_not_resolve() -> None:
    """No oracle for which internal names exist (security review F17)."""
    policy = FetchPolicy(max_bytes=1000, timeout=1.0)
    answers = []
    for url in ("http://localhost:9/a.jpg", "http://no-such-host.invalid/a.jpg"):
        with pytest.raises(FetchError) as caught:
            fetch(url, policy)
        answers.append((caught.value.code, caught.value.status, "reached" in caught.value.message))
    assert answers[0] == answers[1] == ("fetch_failed", 422, True)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    check_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://x",
        "http://user:pw@example.org/a.jpg",
        "http://example.org:99999/",
    ],
)
def test_bad_urls_are_refused_before_any_connection(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(url, LOOPBACK_OK)
    assert caught.value.status == 400


def test_check_by_url_through_the_api(server: str, sqlite_url: str) -> None:
    app = make_app(sqlite_url, FETCH_ALLOW_LOOPBACK=True)
    add_fake(app, "rocket")
    client = app.test_client()
    body = client.post("/api/v1/check", json={"url": server + "/photo.jpg"}).get_json()
    assert body["result"] == "match"
    assert "127.0.0.1" in body["search_links"][0]["url"]
    lying = client.post("/api/v1/check", json={"url": server + "/lying.jpg"})
    assert lying.status_code == 415  # sniffed, not trusted from Content-Type


def test_outbound_fetches_are_capped_per_process(server: str) -> None:
    """Security review F7: one client's slow URLs held every worker."""
    import threading

    policy = FetchPolicy(max_bytes=200_000, timeout=1.0, allow_loopback=True, concurrency=1)
    outcomes: list[str] = []

    def slow() -> None:
        try:
            fetch(server + "/slow", policy)
            outcomes.append("fetched")
        except FetchError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=slow) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["fetch_busy", "fetch_timeout"]
