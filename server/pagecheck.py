"""Check every image of a post or page at once (moderators' batch check).

The page is fetched with the same SSRF-safe fetcher as images; its images come from
``img`` ``src``/``srcset`` (largest candidate), ``og:image`` and ``twitter:image``.
Whoever wrote the page chooses how slow its images are and how many tags it holds,
so the whole check has a time budget (``PAGE_CHECK_BUDGET``): images not reached
in time are reported as skipped, and link extraction stops at ``MAX_IMAGES``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from .checks import check_image
from .fetch import FetchError, FetchPolicy, fetch
from .matching.decode import ImageError

MAX_IMAGES = 30
MAX_PAGE_BYTES = 2 * 1024 * 1024  # a post's HTML; the rest of a page is not read
#: ``<meta>`` names of the picture a page shows when shared (Open Graph, Twitter cards).
SHARE_IMAGE_META = ("og:image", "og:image:url", "twitter:image", "twitter:image:src")


class _Images(HTMLParser):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base
        self.urls: dict[str, None] = {}  # ordered and O(1) to test: pages hold 70,000 tags

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.base = urljoin(self.base, a["href"])
        elif tag == "img":
            self._add(largest_candidate(a.get("srcset", "")) or a.get("src", ""))
        elif tag == "meta" and (a.get("property") or a.get("name", "")).lower() in SHARE_IMAGE_META:
            self._add(a.get("content", ""))

    def _add(self, url: str) -> None:
        if len(self.urls) >= MAX_IMAGES:
            return
        absolute = urljoin(self.base, url.strip()) if url.strip() else ""
        if absolute.startswith(("http://", "https://")):
            self.urls.setdefault(absolute)


def largest_candidate(srcset: str) -> str | None:
    """The biggest image of a srcset ("a.jpg 480w, b.jpg 1080w" or "a.jpg 1x, b.jpg 2x")."""
    best: tuple[float, str] | None = None
    for part in srcset.split(","):
        bits = part.split()
        if not bits:
            continue
        descriptor = bits[1] if len(bits) > 1 else "1x"
        try:
            size = float(descriptor[:-1]) * (1 if descriptor.endswith("w") else 10_000)
        except ValueError:
            continue
        if best is None or size > best[0]:
            best = (size, bits[0])
    return best[1] if best else None


def image_urls(html: str, page_url: str) -> list[str]:
    parser = _Images(page_url)
    parser.feed(html)
    return list(parser.urls)


def check_page(url: str, policy: FetchPolicy, budget: float) -> dict[str, Any]:
    """Fetch the page, then check each image; one row per image, errors included.

    Nothing takes longer than ``budget`` seconds in all: each fetch gets what is left,
    and images not reached are reported as skipped with the reason.
    """
    deadline = time.monotonic() + budget
    page_policy = replace(policy, max_bytes=min(policy.max_bytes, MAX_PAGE_BYTES))
    html = fetch(url, page_policy).decode("utf-8", errors="replace")
    rows: list[dict[str, Any]] = []
    for image_url in image_urls(html, url):
        left = deadline - time.monotonic()
        if left <= 0.5:
            rows.append(_skipped(image_url))
            continue
        try:
            data = fetch(image_url, replace(policy, timeout=min(policy.timeout, left)))
            result = check_image(data, image_url=image_url)
            best = result.matches[0] if result.matches else None
            rows.append(
                {
                    "image_url": image_url,
                    "result": result.result,
                    "entry_id": best.entry.id if best else None,
                    "entry_title": best.entry.title if best else None,
                    "distance": best.distance if best else None,
                }
            )
        except (ImageError, FetchError) as exc:
            rows.append(
                {
                    "image_url": image_url,
                    "result": "error",
                    "error": {"code": exc.code, "message": exc.message},
                }
            )
    return {"url": url, "images": rows}


def _skipped(image_url: str) -> dict[str, Any]:
    message = "Not checked: the page's images took longer than the time allowed."
    return {
        "image_url": image_url,
        "result": "error",
        "error": {"code": "budget_exceeded", "message": message},
    }
