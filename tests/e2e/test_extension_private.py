"""Private mode in the real browser: the extension matches on the device.

The server sees the bank being downloaded and, on a hit, a request for that entry by
its number; it never sees a check, an image or an image's address, unless the reader
asks for the full check. Requests reaching the server are recorded to prove it.
"""

from __future__ import annotations

import pytest

from .cards import Cards, click_menu, tab_of
from .conftest import artifacts

ARTIFACTS = artifacts("extension-private")


@pytest.fixture
def private(browser, pages, site, origincheck):  # type: ignore[no-untyped-def]
    """A page with private mode on, and the list of requests the server received."""
    context, worker = browser
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url) if r.url.startswith(origincheck) else None)
    worker.evaluate("() => indexedDB.deleteDatabase('origincheck-bank')")
    page = pages(worker, site, origincheck)
    worker.evaluate("() => chrome.storage.sync.set({private: true, privateLimitMb: 32})")
    yield page, worker, seen
    worker.evaluate("() => chrome.storage.sync.set({private: false})")


def paths(seen: list[str], origincheck: str) -> list[str]:
    return [url.removeprefix(origincheck).split("?")[0] for url in seen]


def test_a_known_photo_is_found_on_the_device_and_nothing_is_sent(
    private, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    page, worker, seen = private
    click_menu(worker, page, site, "copy.jpg")
    cards = Cards(page)
    shown = cards.wait("private_match", timeout=20)
    assert "Likely a known fake or misused image" in shown.text
    assert "Rocket launch photo passed off as a missile strike" in shown.text
    assert "compared on this device" in shown.text
    assert "nothing about the image was sent" in shown.text
    called = paths(seen, origincheck)
    assert "/api/v1/fingerprints" in called
    # A bank this small fits with every hash (crop windows too): stage 1's recall.
    assert any("variants=all" in url for url in seen)
    assert not [p for p in called if p.startswith("/api/v1/check")]
    asked = [p for p in called if p.startswith("/api/v1/entries/")]
    assert len(asked) == 1  # the entry that matched, by its number
    page.screenshot(path=str(ARTIFACTS / "private-match.png"))
    # The reader may ask for the full check: only then is the picture sent.
    cards.click(shown, "Confirm with the server (sends the image)")
    confirmed = cards.wait("match", timeout=15)
    assert "Checked by the server at" in confirmed.text
    assert "/api/v1/check" in paths(seen, origincheck)
    page.screenshot(path=str(ARTIFACTS / "private-confirmed.png"))


def test_an_unknown_photo_is_answered_on_the_device_without_asking_the_server(
    private, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    page, worker, seen = private
    click_menu(worker, page, site, "unknown.jpg")
    shown = Cards(page).wait("private_no_match", timeout=20)
    assert "Not in this device's copy of the known-fakes database" in shown.text
    assert "does not mean it is authentic" in shown.text
    called = paths(seen, origincheck)
    assert not [p for p in called if p.startswith(("/api/v1/check", "/api/v1/entries"))]
    page.screenshot(path=str(ARTIFACTS / "private-no-match.png"))


def test_check_all_in_private_mode_sends_no_picture(private, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    page, worker, seen = private
    checked = worker.evaluate(
        "(id) => globalThis.originCheck.checkAllImages({id})", tab_of(worker, page)
    )
    assert checked == 9
    states = sorted(b.state for b in Cards(page).all("badge"))
    assert "private_match" in states and "private_no_match" in states
    assert not [p for p in paths(seen, origincheck) if p.startswith("/api/v1/check")]
    page.screenshot(path=str(ARTIFACTS / "private-check-all.png"))


def test_the_options_page_says_what_the_device_holds(browser, private, origincheck) -> None:  # type: ignore[no-untyped-def]
    context, _ = browser
    page, worker, seen = private
    options = context.new_page()
    options.goto(f"chrome-extension://{worker.url.split('/')[2]}/options.html")
    options.click("#sync")
    options.locator("#bank").filter(has_text="On this device: 4 entries").wait_for(timeout=15_000)
    assert options.locator("#private").is_checked()
    options.screenshot(path=str(ARTIFACTS / "options-private.png"))
    options.close()
