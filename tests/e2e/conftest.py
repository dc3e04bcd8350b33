"""Shared settings for browser tests: Debian's chromium, never a downloaded browser.

The extension's tests share one browser with the unpacked extension, one real server
with known fakes and one site of test pages (session fixtures, started on first use).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from PIL import Image

from .. import edits, signing
from ..conftest import demo_image, service_missing
from ..servers import ROOT, flask, gunicorn, http_server, server_env
from ..videos import make_video, scene
from .cards import use_server

EXTENSION = ROOT / "extension"
HOSTILE = "<img src=x onerror=alert(1)>"
PAGES = Path(__file__).with_name("pages")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google's hosts,
# which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]


def artifacts(name: str) -> Path:
    """Where a test saves its screenshots (kept by CI as test artifacts)."""
    folder = ROOT / "test-artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def require_chromium() -> str:
    if not os.path.exists(CHROMIUM):
        service_missing("Debian's chromium", FileNotFoundError(CHROMIUM))
    return CHROMIUM


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A page on 127.0.0.1 with a misused copy, an unknown photo and a hostile-entry photo."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(PAGES, root, dirs_exist_ok=True)
    (root / "fake.jpg").write_bytes(edits.archetype(demo_image("rocket")))
    (root / "inpage.jpg").write_bytes(edits.jpeg(edits.web_page(demo_image("rocket")), 85))
    chain = signing.make_chain("Example News Agency")
    generated = edits.jpeg(edits.mirror(demo_image("coffee")), 85)
    (root / "signed.jpg").write_bytes(signing.sign(generated, chain, source_type=signing.AI))
    (root / "trailer-copy.webm").write_bytes(TRAILER())
    (root / "video.html").write_text(
        "<!doctype html><title>clip</title><body style='margin:20px'><h1>Strike footage</h1>"
        # Another origin (localhost, not 127.0.0.1): the video taints any canvas.
        "<video id=clip muted preload=auto width=640 height=360 "
        "src='http://localhost:{port}/trailer-copy.webm'></video></body>"
    )
    (root / "unknown.jpg").write_bytes(edits.jpeg(demo_image("coffee"), 80))
    # The known photo as it is passed around: smaller and recompressed (private mode).
    copy = demo_image("rocket")
    (root / "copy.jpg").write_bytes(
        edits.jpeg(copy.resize((copy.width * 4 // 5, copy.height * 4 // 5)), 70)
    )
    # Between the stored crops (46 bits from them: a possible match, over 40 and under 48),
    # and mirrored, which stage 2 does not confirm.
    cat = edits.mirror(edits.crop(demo_image("chelsea"), 0.034))
    (root / "possible.jpg").write_bytes(edits.jpeg(edits.caption_band(cat, "Rescued"), 55))
    (root / "flat.jpg").write_bytes(edits.jpeg(Image.new("RGB", (600, 300), (140, 150, 160))))
    (root / "broken.jpg").write_bytes(edits.jpeg(demo_image("coffee"))[:1500])
    (root / "hostile.jpg").write_bytes(edits.jpeg(edits.caption_band(demo_image("astronaut")), 70))

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            # Hotlink protection: the picture only for a page of this site (a Referer).
            if self.path.startswith("/guarded/"):
                if not self.headers.get("Referer"):
                    self.send_error(403, "Hotlinking refused")
                    return
                self.path = self.path.removeprefix("/guarded")
            super().do_GET()

    with http_server(Handler) as base:
        port = base.rsplit(":", 1)[1]
        for page in root.glob("*.html"):  # pages that name another origin (localhost)
            page.write_text(page.read_text().replace("{port}", port))
        yield base


@pytest.fixture(scope="session")
def origincheck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server with two known fakes imported, one with a hostile title."""
    folder = tmp_path_factory.mktemp("server")
    demo_image("rocket").save(folder / "rocket.jpg", quality=92)
    demo_image("astronaut").save(folder / "astronaut.jpg", quality=92)
    demo_image("chelsea").save(folder / "chelsea.jpg", quality=92)
    lines = [
        {
            "title": "Rocket launch photo passed off as a missile strike",
            "category": "DecontextualizedContent",
            "claim": "Missile launched at the city last night.",
            "origin": {
                "description": "SpaceX photo of a Falcon 9 launch",
                "author": "SpaceX",
                "date": "2015-02-11",
                "url": "https://example.org/spacex",
            },
            "appearances": [
                {
                    "url": "https://example.org/ministry-post",
                    "publisher": "Ministry account",
                    "date": "2024-03-01",
                }
            ],
            "sources": [
                {
                    "url": "https://example.org/debunk",
                    "publisher": "Fact desk",
                    "title": "No, it is a rocket launch",
                }
            ],
            "images": [{"path": "rocket.jpg", "role": "original"}],
        },
        {
            "title": HOSTILE,
            "category": "EditedOrCroppedContent",
            "claim": HOSTILE,
            "origin": {"description": "<script>alert(2)</script>"},
            "images": [{"path": "astronaut.jpg", "role": "original"}],
        },
        {
            "title": "Cat photo shared as a rescued war animal",
            "category": "DecontextualizedContent",
            "claim": "This cat was rescued from the rubble yesterday.",
            "origin": {"description": "Chelsea the cat, a 2010 pet photo"},
            "images": [{"path": "chelsea.jpg", "role": "original"}],
        },
    ]
    (folder / "trailer.webm").write_bytes(TRAILER())
    lines.append(
        {
            "title": "Game trailer shown as airstrike footage",
            "category": "DecontextualizedContent",
            "claim": "Footage of the strike on the convoy.",
            "origin": {
                "description": "A video-game trailer",
                "url": "https://www.youtube.com/watch?v=trailer01",
            },
            "images": [{"path": "trailer.webm", "role": "original"}],
        }
    )
    (folder / "fakes.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    env = server_env(folder / "db.sqlite3")
    flask(env, "init-db")
    flask(env, "import", str(folder / "fakes.jsonl"))
    with gunicorn(env, workers=1) as base:
        yield base


@pytest.fixture(scope="session")
def driver():  # type: ignore[no-untyped-def]
    """The one Playwright driver of the run (a second sync driver cannot start beside it)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(driver, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Headless Chromium with the unpacked extension; yields (context, service worker)."""
    context = driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("profile")),
        executable_path=CHROMIUM,
        headless=True,
        viewport={"width": 1100, "height": 800},
        args=[
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            *CHROMIUM_ARGS,
        ],
    )
    worker = (
        context.service_workers[0]
        if context.service_workers
        else context.wait_for_event(
            "serviceworker",
            timeout=15_000,  # if this times out, check manifest.json loads
        )
    )
    yield context, worker
    context.close()


@pytest.fixture
def pages(browser, request):  # type: ignore[no-untyped-def]
    """Opens the test page under a URL of its own and always closes what it opened."""
    context, _ = browser
    opened = []

    def open_page(worker, site: str, server: str, path: str = "index.html"):  # type: ignore[no-untyped-def]
        use_server(worker, server)
        page = context.new_page()
        opened.append(page)
        page.on("dialog", lambda d: pytest.fail(f"page ran a script from server data: {d.message}"))
        page.goto(f"{site}/{path}?test={request.node.name}")
        page.wait_for_load_state("load")
        return page

    yield open_page
    for page in opened:
        page.close()


def TRAILER() -> bytes:  # noqa: N802 - a constant, made on demand
    """Three shots of pictures nothing else on the test page shows, 2 s each, VP9."""
    pictures = [scene(1), scene(2), scene(3)]
    return make_video(pictures, seconds=6, fps=10, codec="libvpx-vp9")
