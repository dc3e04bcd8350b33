"""The extension driven by real input: a visible Chromium on an X server (Xvfb), real
right-clicks on the browser's own context menu and real key presses (xdotool).

Only real input grants ``activeTab``, which a tab capture needs: these tests cover what
the handler-level tests cannot, the screenshot of a picture whose bytes no one may fetch
(a hotlink-protected host, a cross-origin video) and the keyboard shortcuts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from ..conftest import service_missing
from ..servers import dies_with_the_tests
from .cards import Cards, assert_on_screen, seek_video, use_server
from .conftest import CHROMIUM_ARGS, EXTENSION, artifacts, require_chromium

ARTIFACTS = artifacts("extension-desktop")


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """A private X display; Xvfb picks a free number and tells it on a pipe."""
    for tool in ("Xvfb", "xdotool"):
        if not shutil.which(tool):
            service_missing(tool, FileNotFoundError(tool))
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stderr=subprocess.DEVNULL,
        preexec_fn=dies_with_the_tests,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def desktop(driver, display: str, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A visible Chromium with the extension on that display: (context, worker, display)."""
    context = driver.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("desktop-profile")),
        executable_path=require_chromium(),
        headless=False,
        viewport={"width": 1100, "height": 760},
        env={**os.environ, "DISPLAY": display},
        args=[
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            *CHROMIUM_ARGS,
        ],
    )
    worker = context.service_workers[0] if context.service_workers else None
    worker = worker or context.wait_for_event("serviceworker", timeout=15_000)
    # A blank tab kept open for the whole module: each test closes its own page, and
    # Chromium (156) quits when its window's last tab closes.
    context.new_page()
    yield context, worker, display
    context.close()


def keys(display: str, *names: str) -> None:
    """Real key presses, through the X server: what the browser's own shortcuts hear."""
    subprocess.run(
        ["xdotool", "key", "--clearmodifiers", *names],
        env={**os.environ, "DISPLAY": display},
        check=True,
    )


def open_page(desktop, site: str, server: str, path: str):  # type: ignore[no-untyped-def]
    context, worker, _ = desktop
    use_server(worker, server)
    for old in [p for p in context.pages if p.url.startswith("chrome-extension://")]:
        old.close()  # the options page opened at install (the blank tab stays)
    page = context.new_page()
    page.goto(f"{site}/{path}")
    page.wait_for_load_state("load")
    page.bring_to_front()
    page.wait_for_timeout(300)
    return page


def menu_item(desktop, page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Right-click the element and choose OriginCheck's item on the browser's menu.

    The extension's item is the last but one (before "Inspect"): Up twice from the top.
    """
    context, worker, display = desktop
    worker.evaluate(
        "() => { globalThis.clicked = []; "
        "chrome.contextMenus.onClicked.addListener((i) => clicked.push(i.menuItemId)); }"
    )
    page.locator(selector).scroll_into_view_if_needed()
    page.click(selector, button="right")
    page.wait_for_timeout(500)
    keys(display, "Up", "Up", "Return")
    page.wait_for_timeout(300)
    assert worker.evaluate("() => globalThis.clicked"), "the menu item was not chosen"


def test_a_picture_no_one_may_fetch_is_checked_from_the_screen(desktop, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop, site, origincheck, "refusing.html")
    # The host answers 403 to the extension and to the server; the page shows the picture.
    menu_item(desktop, page, "#guarded")
    shown = Cards(page).wait("match", timeout=20)
    assert "Rocket launch photo passed off as a missile strike" in shown.text
    assert "screenshot" in shown.text.lower()
    assert_on_screen(page, shown.box)
    page.screenshot(path=str(ARTIFACTS / "refusing-host-screenshot.png"))
    page.close()


def test_the_shortcut_checks_the_focused_picture(desktop, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop, site, origincheck, "index.html")
    page.locator("#fake").evaluate("(img) => { img.tabIndex = 0; img.focus(); }")
    keys(desktop[2], "alt+shift+o")
    cards = Cards(page)
    shown = cards.wait("match", timeout=15)
    assert "Known fake or misused image" in shown.text
    keys(desktop[2], "Escape")
    page.wait_for_timeout(200)
    assert cards.count() == 0
    assert page.evaluate("() => document.activeElement.id") == "fake"  # focus given back
    page.close()


def test_the_shortcut_with_nothing_focused_lets_the_reader_pick(desktop, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop, site, origincheck, "feed.html")
    keys(desktop[2], "alt+shift+o")
    cards = Cards(page)
    cards.wait(None, kind="picker")
    keys(desktop[2], "Tab", "Return")  # the first picture: the background under the overlay
    assert "Rocket launch photo" in cards.wait("match", timeout=15).text
    page.close()


def test_the_check_all_shortcut_badges_the_page(desktop, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop, site, origincheck, "index.html")
    keys(desktop[2], "alt+shift+k")
    cards = Cards(page)
    deadline = 30
    while cards.count("badge") < 9 and deadline:
        page.wait_for_timeout(500)
        deadline -= 1
    assert cards.count("badge") == 9
    page.screenshot(path=str(ARTIFACTS / "check-all-shortcut.png"))
    page.close()


def test_a_cross_origin_video_frame_is_captured_from_the_screen(desktop, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page = open_page(desktop, site, origincheck, "video.html")
    seek_video(page, "#clip", 3.0)
    menu_item(desktop, page, "#clip")
    shown = Cards(page).wait("match", timeout=20)
    assert "Game trailer shown as airstrike footage" in shown.text
    assert "screenshot of the video" in shown.text  # the frame on screen, not the file
    page.screenshot(path=str(ARTIFACTS / "video-frame-from-screen.png"))
    page.close()
