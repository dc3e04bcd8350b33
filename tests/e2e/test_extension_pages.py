"""The card on real-world pages: it is always seen whole, and no page can rewrite it.

Pages as readers meet them: a picture wider than the window, a phone-width window, a
long article scrolled, a dark feed whose pictures are CSS backgrounds under overlays or
drawn on a canvas, an embedded post in a cross-origin iframe, a host that refuses any
fetch but its own pages', and a hostile page script. Screenshots go to
test-artifacts/extension-pages/.
"""

from __future__ import annotations

import contextlib
import time

from playwright.sync_api import Error as PlaywrightError

from .axe import serious_violations
from .cards import Cards, assert_on_screen, click_menu, tab_of
from .conftest import artifacts

ARTIFACTS = artifacts("extension-pages")


def test_a_picture_wider_than_the_window_gets_its_card_on_screen(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "wide.html")
    click_menu(worker, page, site, "fake.jpg")
    shown = Cards(page).wait("match")
    assert_on_screen(page, shown.box)
    assert not shown.docked
    page.screenshot(path=str(ARTIFACTS / "wide-image.png"))


def test_on_a_phone_width_window_the_card_is_a_docked_panel(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck)
    page.set_viewport_size({"width": 390, "height": 740})
    click_menu(worker, page, site, "fake.jpg")
    shown = Cards(page).wait("match")
    assert shown.docked
    assert_on_screen(page, shown.box)
    assert shown.box["width"] >= 390 - 2 * 8 - 1  # the window's width, less a margin
    assert "Known fake" in shown.text
    page.screenshot(path=str(ARTIFACTS / "narrow-docked.png"))


def test_the_card_follows_its_image_and_stays_on_screen_while_scrolling(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck)
    page.set_viewport_size({"width": 1100, "height": 900})
    click_menu(worker, page, site, "inpage.jpg")
    cards = Cards(page)
    before = cards.wait("match").box
    image = page.locator("#inpage")
    for delta in (150, 400, 2000):
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(300)
        after = cards.wait("match").box
        assert_on_screen(page, after)
        top = image.bounding_box()["y"]
        if top > 8:  # while the image's top is in view the card stays level with it
            assert abs(after["y"] - top) < 2 or after["y"] + after["height"] >= 900 - 9
    assert after["y"] != before["y"] or after["x"] != before["x"]
    page.screenshot(path=str(ARTIFACTS / "scrolled.png"))


def pick_menu(worker, page) -> None:  # type: ignore[no-untyped-def]
    """What Chrome runs for "Check a picture here…" on the page (no image under the pointer)."""
    worker.evaluate(
        "([info, tab]) => globalThis.originCheck.handleMenuClick(info, tab)",
        [
            {"menuItemId": "check-picture-here", "frameId": 0, "pageUrl": page.url},
            {"id": tab_of(worker, page)},
        ],
    )


def frame_ids(worker, page) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each frame's id, by its address (what Chrome's menu click reports as frameId)."""
    found = worker.evaluate(
        """async (id) => (await chrome.scripting.executeScript({
             target: {tabId: id, allFrames: true}, func: () => location.href }))
           .map((f) => [f.result, f.frameId])""",
        tab_of(worker, page),
    )
    return {url.split("?")[0]: frame for url, frame in found}


def test_an_image_in_a_cross_origin_iframe_gets_its_card_in_the_top_page(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    frame_url = site.replace("127.0.0.1", "localhost") + "/post.html"
    page.locator("#embed").scroll_into_view_if_needed()
    page.frame_locator("#embed").locator("#embedded").wait_for()
    frame_id = frame_ids(worker, page)[frame_url]
    assert frame_id != 0
    worker.evaluate(
        "([info, tab]) => globalThis.originCheck.handleMenuClick(info, tab)",
        [
            {
                "menuItemId": "check-image",
                "srcUrl": frame_url.replace("post.html", "fake.jpg"),
                "frameId": frame_id,
                "frameUrl": frame_url,
                "pageUrl": page.url,
            },
            {"id": tab_of(worker, page)},
        ],
    )
    shown = Cards(page).wait("match")  # drawn in the top page, not inside the frame
    assert "Rocket launch photo passed off as a missile strike" in shown.text
    assert_on_screen(page, shown.box)
    frame = page.locator("#embed").bounding_box()
    assert shown.box["x"] >= frame["x"] + 8 + 432 - 1  # beside the image inside the frame
    assert page.frame_locator("#embed").locator("origincheck-card").count() == 0
    page.screenshot(path=str(ARTIFACTS / "iframe-card-in-top-page.png"))


def test_check_all_covers_backgrounds_canvases_and_iframes(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    page.frame_locator("#embed").locator("#embedded").wait_for()
    checked = worker.evaluate(
        "(id) => globalThis.originCheck.checkAllImages({id})", tab_of(worker, page)
    )
    # The CSS background, the canvas (by its pixels), the video's poster and the image
    # inside the iframe.
    assert checked == 4
    cards = Cards(page)
    assert [b.state for b in cards.all("badge")] == ["match", "match", "match"]
    assert page.frame_locator("#embed").locator("origincheck-card[data-kind=badge]").count() == 1
    page.screenshot(path=str(ARTIFACTS / "feed-badges.png"))
    # A badge inside the frame opens its card in the top page.
    inner = page.frame_locator("#embed").locator("origincheck-card[data-kind=badge]")
    inner.click(position={"x": 10, "y": 10})
    shown = cards.wait("match")
    assert_on_screen(page, shown.box)


def test_a_css_background_under_an_overlay_is_checked_by_pointing_at_it(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    pick_menu(worker, page)
    cards = Cards(page)
    banner = cards.wait(None, kind="picker")
    assert "click the picture" in banner.text.lower()
    page.screenshot(path=str(ARTIFACTS / "pick-banner.png"))
    media = page.locator("#background").bounding_box()
    page.mouse.move(media["x"] + 200, media["y"] + 150)
    page.mouse.click(media["x"] + 200, media["y"] + 150)  # on the transparent shield
    shown = cards.wait("match")
    assert "Rocket launch photo" in shown.text
    assert cards.count("picker") == 0
    assert_on_screen(page, shown.box)
    page.screenshot(path=str(ARTIFACTS / "background-under-overlay.png"))


def test_a_canvas_is_checked_by_its_pixels_chosen_with_the_keyboard(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    pick_menu(worker, page)
    cards = Cards(page)
    cards.wait(None, kind="picker")
    page.keyboard.press("Tab")  # the background
    page.keyboard.press("Tab")  # the canvas
    page.keyboard.press("Enter")
    shown = cards.wait("match")
    assert "Rocket launch photo" in shown.text
    page.screenshot(path=str(ARTIFACTS / "canvas-by-keyboard.png"))


def test_a_hostile_page_cannot_read_hide_or_rewrite_the_card(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "hostile.html")
    click_menu(worker, page, site, "fake.jpg")
    cards = Cards(page)
    shown = cards.wait("match")
    page.wait_for_timeout(500)  # the page's attacks have run
    tamper = page.evaluate("() => window.tamper")
    assert tamper["roots"] and set(tamper["roots"]) == {"null"}  # never saw inside
    assert tamper["rewrote"] == 0
    shown = cards.wait("match")
    assert "Known fake or misused image" in shown.text
    assert "Not in the database" not in shown.text
    assert_on_screen(page, shown.box)
    # Above the page's full-window cover: what the reader's pointer reaches is the card.
    centre = (shown.box["x"] + shown.box["width"] / 2, shown.box["y"] + 40)
    top = page.evaluate("([x, y]) => document.elementFromPoint(x, y).localName", list(centre))
    assert top == "origincheck-card"
    assert page.evaluate("() => typeof window.__originCheck") == "undefined"
    page.screenshot(path=str(ARTIFACTS / "hostile-page.png"))


def test_a_page_that_keeps_removing_the_card_sends_it_to_a_window_of_its_own(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck)
    page.evaluate(
        """() => new MutationObserver(() => document.querySelectorAll('origincheck-card')
             .forEach((host) => host.remove()))
           .observe(document.documentElement, { childList: true, subtree: true })"""
    )
    with context.expect_page(timeout=15_000) as opened:
        click_menu(worker, page, site, "fake.jpg")
    window = opened.value
    window.wait_for_load_state("load")
    assert "/verdict.html#" in window.url
    shown = Cards(window).wait("match")
    assert "Known fake or misused image" in shown.text
    assert "Rocket launch photo passed off as a missile strike" in shown.text
    window.screenshot(path=str(ARTIFACTS / "verdict-window.png"))
    # The same card, audited where its root is open (no page script runs there).
    assert serious_violations(window) == []
    window.emulate_media(color_scheme="dark")
    assert serious_violations(window) == []
    window.screenshot(path=str(ARTIFACTS / "verdict-window-dark.png"))
    with contextlib.suppress(PlaywrightError):  # the window closes under the key press
        window.keyboard.press("Escape")
    deadline = time.monotonic() + 5
    while not window.is_closed():
        assert time.monotonic() < deadline, "Esc left the verdict window open"
        page.wait_for_timeout(100)


def test_a_video_not_yet_played_is_checked_by_the_poster_the_reader_sees(
    browser, pages, site, origincheck
) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    page.locator("#clip").scroll_into_view_if_needed()
    worker.evaluate(
        "([info, tab]) => globalThis.originCheck.handleMenuClick(info, tab)",
        [
            {
                "menuItemId": "check-video-frame",
                "srcUrl": f"{site}/trailer-copy.webm",
                "frameId": 0,
            },
            {"id": tab_of(worker, page)},
        ],
    )
    shown = Cards(page).wait("match", timeout=15)
    assert "Rocket launch photo passed off as a missile strike" in shown.text  # the poster
    page.screenshot(path=str(ARTIFACTS / "video-poster.png"))


def test_an_svg_drawing_is_checked_by_its_pixels(browser, pages, site, origincheck) -> None:  # type: ignore[no-untyped-def]
    context, worker = browser
    page = pages(worker, site, origincheck, "feed.html")
    pick_menu(worker, page)
    cards = Cards(page)
    cards.wait(None, kind="picker")
    drawing = page.locator("#drawing")
    drawing.scroll_into_view_if_needed()
    box = drawing.bounding_box()
    page.mouse.click(box["x"] + 300, box["y"] + 100)
    shown = cards.wait(None, timeout=15)
    assert shown.state in ("no_match", "too_simple")  # read and checked, not "unreadable"
    page.screenshot(path=str(ARTIFACTS / "svg-drawing.png"))
