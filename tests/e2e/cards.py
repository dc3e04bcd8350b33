"""Driving the extension as a reader does, and reading its cards and badges.

Their shadow roots are closed, so neither a page script nor a Playwright selector can
reach inside. The DevTools protocol can, as the browser's own inspector does: these
helpers find the hosts with ``DOM.getDocument(pierce=True)`` and run small functions on
their shadow roots with ``Runtime.callFunctionOn``. Clicks go through the real mouse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

HOST = "ORIGINCHECK-CARD"

READ = """function () {
  const card = this.querySelector('.card, .badge, .banner');
  if (!card) return null;
  const region = this.querySelector('.region');
  const thumb = this.querySelector('figure img');
  const rect = (node) => {
    if (!node) return null;
    const { x, y, width, height } = node.getBoundingClientRect();
    return { x, y, width, height };
  };
  return {
    state: card.dataset.state || null,
    text: card.innerText,
    label: card.getAttribute('aria-label'),
    box: rect(this.host),
    images: this.querySelectorAll('img').length,
    region: region && { ...rect(region), label: region.getAttribute('aria-label') },
    thumb: rect(thumb),
    docked: this.host.dataset.docked === 'true',
    focused: this.activeElement === card,
  };
}"""

BUTTON = """function (name) {
  const button = [...this.querySelectorAll('button')].find(
    (b) => b.textContent.trim() === name || b.getAttribute('aria-label') === name);
  if (!button) return null;
  const { x, y, width, height } = button.getBoundingClientRect();
  return { x: x + width / 2, y: y + height / 2 };
}"""


@dataclass
class Shown:
    """One card or badge as drawn: its state, text and where it is (CSS pixels)."""

    state: str | None
    text: str
    label: str | None
    box: dict[str, float]
    images: int
    region: dict[str, Any] | None
    thumb: dict[str, float] | None
    docked: bool
    focused: bool
    root: str  # objectId of the shadow root, for clicks


class Cards:
    def __init__(self, page: Any) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)

    def _roots(self, kind: str) -> list[str]:
        """Object ids of the shadow roots of every host of that kind, in document order."""
        tree = self.cdp.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found: list[str] = []

        def walk(node: dict[str, Any]) -> None:
            attrs = node.get("attributes", [])
            pairs = dict(zip(attrs[::2], attrs[1::2], strict=False))
            if node.get("nodeName") == HOST and pairs.get("data-kind") == kind:
                for root in node.get("shadowRoots", []):
                    obj = self.cdp.send("DOM.resolveNode", {"backendNodeId": root["backendNodeId"]})
                    found.append(obj["object"]["objectId"])
            for child in node.get("children", []) + node.get("shadowRoots", []):
                walk(child)
            if "contentDocument" in node:
                walk(node["contentDocument"])

        walk(tree)
        return found

    def _call(self, root: str, function: str, *args: Any) -> Any:
        answer = self.cdp.send(
            "Runtime.callFunctionOn",
            {
                "objectId": root,
                "functionDeclaration": function,
                "arguments": [{"value": a} for a in args],
                "returnByValue": True,
            },
        )
        return answer["result"].get("value")

    def all(self, kind: str = "card") -> list[Shown]:
        shown = []
        for root in self._roots(kind):
            value = self._call(root, READ)
            if value:
                shown.append(Shown(root=root, **value))
        return shown

    def count(self, kind: str = "card") -> int:
        return len(self._roots(kind))

    def wait(self, state: str | None = None, timeout: float = 10.0, kind: str = "card") -> Shown:
        """The card once it shows ``state`` (any state but "pending" when None)."""
        deadline = time.monotonic() + timeout
        last = None
        before = None
        while time.monotonic() < deadline:
            for shown in self.all(kind):
                last = shown.state
                if shown.state == state or (state is None and shown.state != "pending"):
                    # Settled: drawn where it stays (thumbnails load, then it is placed again).
                    if before is not None and before.box == shown.box:
                        return shown
                    before = shown
                    break
            else:
                before = None
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no {kind} in state {state!r} after {timeout} s (last: {last!r})")

    def click(self, shown: Shown, name: str) -> None:
        """Click a button of a card with the real mouse, where the reader would."""
        point = self._call(shown.root, BUTTON, name)
        assert point, f"no button {name!r} on the card"
        self.page.mouse.click(point["x"], point["y"])

    def click_badge(self, shown: Shown) -> None:
        box = shown.box
        self.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)

    def screenshot(self, shown: Shown, path: str) -> None:
        self.page.screenshot(path=path, clip=shown.box)


def use_server(worker, server: str, private: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Point the extension at ``server``, in the browser's language; full mode (the image
    is sent) unless ``private``."""
    worker.evaluate(
        "([s, p]) => chrome.storage.sync.set("
        "{serverUrl: s, send: 'bytes', private: p, language: 'auto'})",
        [server, private],
    )


def extension_worker(context):  # type: ignore[no-untyped-def]
    """The live service worker (a new one after the old was stopped)."""
    return [w for w in context.service_workers if w.url.endswith("/background.js")][-1]


def tab_of(worker, page) -> int:  # type: ignore[no-untyped-def]
    return worker.evaluate("async (url) => (await chrome.tabs.query({url}))[0].id", page.url)


def click_menu(worker, page, site: str, image: str, menu: str = "check-image") -> None:  # type: ignore[no-untyped-def]
    """Run the handler that the context-menu click runs, with what Chrome passes it."""
    page.locator(f"img[src='/{image}']").first.scroll_into_view_if_needed()  # a reader sees it
    tab_id = tab_of(worker, page)
    worker.evaluate(
        "([info, tab]) => globalThis.originCheck.handleMenuClick(info, tab)",
        [
            {"menuItemId": menu, "srcUrl": f"{site}/{image}", "frameId": 0, "pageUrl": page.url},
            {"id": tab_id},
        ],
    )


def assert_on_screen(page, box: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    """The whole card inside the window: the reader can see all of it without scrolling."""
    size = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"], box
    assert box["y"] + box["height"] <= size["height"], box


def wait_text(cards: Cards, words: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while words not in (cards.all()[0].text if cards.count() else ""):
        assert time.monotonic() < deadline, f"the card never said {words!r}"
        cards.page.wait_for_timeout(100)


def seek_video(page, selector: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until the video can show a frame, then show the one at ``seconds``."""
    page.wait_for_function(
        "(s) => { const v = document.querySelector(s); return v && v.readyState >= 2; }",
        arg=selector,
        timeout=15_000,
    )
    page.evaluate(
        """([s, t]) => new Promise((done) => { const v = document.querySelector(s);
             v.addEventListener('seeked', done, { once: true }); v.currentTime = t; })""",
        [selector, seconds],
    )
