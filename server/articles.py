"""A published fact-check article → a prefilled report for moderators to review.

A moderator pastes the address of a debunk; the page is fetched through the safe
fetcher, its ClaimReview/MediaReview markup read (``factchecks.py``), its ``og:image``
taken when the markup names no image, and the result queued as a report — so it goes
through the same review, duplicate hints and audit as any other, and nothing is
published unseen.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

from .errors import ApiError
from .factchecks import as_report, entry_imports
from .fetch import fetch, fetch_policy
from .pagecheck import SHARE_IMAGE_META
from .records import EntryImport, SubmissionIn

MAX_MARKUP_BLOCKS = 20


class _Page(HTMLParser):
    """The JSON-LD blocks and the share image of a page (nothing else is kept)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.share_image: str | None = None
        self._in_markup = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and (found.get("type") or "").lower() == "application/ld+json":
            self._in_markup = len(self.blocks) < MAX_MARKUP_BLOCKS
            if self._in_markup:
                self.blocks.append("")
        elif tag == "meta" and self.share_image is None:
            key = (found.get("property") or found.get("name") or "").lower()
            if key in SHARE_IMAGE_META and found.get("content"):
                self.share_image = found["content"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_markup = False

    def handle_data(self, data: str) -> None:
        if self._in_markup:
            self.blocks[-1] += data


def read_article(html: str, url: str) -> EntryImport:
    """The first entry the page's markup describes, or a 400 that says what is missing."""
    page = _Page()
    page.feed(html)
    page.close()
    share = [urljoin(url, page.share_image)] if page.share_image else []
    reasons = []
    for block in page.blocks:
        for _, item in entry_imports(block, images_if_none=share):
            if isinstance(item, EntryImport):
                return item
            reasons.append(item)
    if not page.blocks:
        raise ApiError(
            "no_fact_check", "That page has no ClaimReview or MediaReview markup to read."
        )
    raise ApiError("no_fact_check", "Its markup names no image: " + "; ".join(reasons[:2]))


def report_from_article(url: str) -> SubmissionIn:
    """What a reporter would have typed, read from the article at ``url``."""
    raw = fetch(url, fetch_policy())
    return as_report(read_article(raw.decode("utf-8", errors="replace"), url), url)
