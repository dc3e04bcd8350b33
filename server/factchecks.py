"""Reading the fact-checks others publish — ClaimReview and MediaReview JSON-LD — as entries.

``jsonld.py`` writes them; this reads them back, from whatever wrapper they come in: our
own export (an array of ``@graph`` documents), one document, one per line, a Data Commons
``DataFeed`` (``dataFeedElement[].item[]``), or a Fact-Check Insights JSON download (its
records are the reviews themselves, with extra keys). Every object whose ``@type`` is a
ClaimReview or a MediaReview is found wherever it is nested, so a new wrapper needs no
new code.

An entry needs an image: a MediaReview gives its media (``itemReviewed``'s
``mediaItemAppearance[].contentUrl``), and a ClaimReview alone gives the images of the
posts it reviews (``appearance[].image``), if any. A ClaimReview of a text claim, with no
image anywhere, is reported and skipped: there is nothing for a reader's check to match.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from .records import CATEGORIES, CATEGORY_LABELS, EntryImport, SubmissionIn

REVIEW_TYPES = ("ClaimReview", "MediaReview")

#: An image's role, as ``jsonld.py`` writes it in the ImageObject's ``description``.
ROLE_WORDS = {
    "original": "The original image, in its true context",
    "misused": "The image as it was misused",
    "variant": "Another circulating copy of the image",
}
_ROLES = {words: role for role, words in ROLE_WORDS.items()}

#: Items are numbered like the lines of a JSON Lines import, for the per-item report.
Item = tuple[int, "EntryImport | str"]


def is_fact_check_markup(text: str) -> bool:
    """Told by content, not by name: JSON-LD (``@context``, ``@type`` or ``@graph`` at
    the top of the document or of its first line), or a CSV export of reviews, rather
    than our JSON Lines."""
    if _is_csv(text):
        return True
    for document in _documents(text, first_only=True):
        top = document[0] if isinstance(document, list) and document else document
        return isinstance(top, dict) and bool({"@context", "@type", "@graph"} & top.keys())
    return False


def entry_imports(text: str, images_if_none: Sequence[str] = ()) -> Iterator[Item]:
    """Each MediaReview with the ClaimReview it is tied to (by ``associatedClaimReview``
    or the same page), then each ClaimReview left over: an entry to import, or why not.

    ``images_if_none``: addresses of images to take when a review names none (a
    fact-check article's ``og:image``)."""
    reviews = [r for document in _documents(text) for r in _reviews(document)]
    claims = [r for r in reviews if _is(r, "ClaimReview")]
    by_id = {r["@id"]: r for r in claims if isinstance(r.get("@id"), str)}
    by_page = {r["url"]: r for r in claims if isinstance(r.get("url"), str)}
    used: set[int] = set()
    number = 0
    for media in (r for r in reviews if _is(r, "MediaReview")):
        number += 1
        tie = _first(media.get("associatedClaimReview"))
        claim = (by_id.get(tie.get("@id")) if isinstance(tie, dict) else None) or by_page.get(
            media.get("url")
        )
        if claim is not None:
            used.add(id(claim))
        yield number, _entry(media, claim, images_if_none)
    for claim in claims:
        if id(claim) not in used:
            number += 1
            yield number, _entry(None, claim, images_if_none)


def _is_csv(text: str) -> bool:
    header = text.lstrip("\ufeff").partition("\n")[0]
    return not header.lstrip().startswith(("{", "[")) and bool(
        {"claimReviewed", "@type", "mediaAuthenticityCategory"}
        & {name.strip().strip('"') for name in header.split(",")}
    )


def _csv_records(text: str) -> Iterator[dict[str, Any]]:
    """Rows of a CSV export (Fact-Check Insights): dotted column names are nested keys
    (``reviewRating.alternateName``), and a cell holding JSON is read as JSON."""
    for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
        record: dict[str, Any] = {}
        for key, cell in row.items():
            if not key or cell in (None, ""):
                continue
            value: Any = cell
            if cell.lstrip().startswith(("{", "[")):
                try:
                    value = json.loads(cell)
                except json.JSONDecodeError:
                    pass
            *parents, last = key.split(".")
            node = record
            for part in parents:
                node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
            node[last] = value
        yield record


def as_report(item: EntryImport, fact_check_url: str | None = None) -> SubmissionIn:
    """What a reporter would have typed, read from a fact-check: a draft for moderators
    (an article's address, or a partner's feed imported for review)."""
    first = item.appearances[0] if item.appearances else None
    sources = [str(s.url) for s in item.sources]
    evidence = ([fact_check_url] if fact_check_url else []) + [
        url for url in sources if url != fact_check_url
    ]
    where = fact_check_url or (sources[0] if sources else "a fact-check")
    notes = f"From the fact-check {where}: “{item.title}”"
    if item.rating:
        notes += f", rated “{item.rating}”"
    return SubmissionIn.model_validate(
        {
            "image_url": str(item.images[0].url) if item.images[0].url else None,
            "claim": item.claim,
            "language": first.language if first else None,
            "seen_url": str(first.url) if first else None,
            "seen_date": first.date if first else None,
            "origin_url": str(item.origin.url) if item.origin.url else None,
            "origin_description": item.origin.description,
            "origin_author": item.origin.author,
            "origin_date": item.origin.date,
            "evidence_urls": evidence[:20],
            "notes": notes[:5000] + ".",
        }
    )


def _documents(text: str, first_only: bool = False) -> Iterator[Any]:
    """One JSON document, or one per line (a line that is not JSON is yielded as None),
    or the records of a CSV export."""
    if _is_csv(text):
        yield list(_csv_records(text))
        return
    try:
        yield json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for line in text.splitlines():
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                yield None
            if first_only:
                return


def _reviews(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every review object in ``node``, however deeply wrapped (bounded, as input is)."""
    if depth > 12:
        return
    if isinstance(node, list):
        for item in node:
            yield from _reviews(item, depth + 1)
    elif isinstance(node, dict):
        if any(_is(node, kind) for kind in REVIEW_TYPES):
            yield node
            return
        for key in ("@graph", "dataFeedElement", "item", "items", "data", "records"):
            if key in node:
                yield from _reviews(node[key], depth + 1)


def _is(node: dict[str, Any], kind: str) -> bool:
    types = node.get("@type")
    return kind in (types if isinstance(types, list) else [types])


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    """A name, whether given as text or as a Thing with a ``name``."""
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _url(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def _date(value: Any) -> str | None:
    """The date of an ISO date or date-time (the schema allows both)."""
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _entry(
    media: dict[str, Any] | None, claim: dict[str, Any] | None, images_if_none: Sequence[str]
) -> EntryImport | str:
    review = media or claim or {}
    category = (media or {}).get("mediaAuthenticityCategory")
    if category not in CATEGORIES:
        # A ClaimReview says how true a claim is, not what was done to an image: the
        # commonest case of a debunked image is a real one in a false context.
        category = "DecontextualizedContent"
    claimed = (claim or {}).get("claimReviewed") or (media or {}).get("name")
    rating = _text((claim or {}).get("reviewRating", {}).get("alternateName"))
    if rating == CATEGORY_LABELS[category]:
        rating = None  # our export writes the verdict's label when there is no rating
    origin_link = _first((media or {}).get("originalMediaLink")) or {}
    images = _images(media, claim) or [{"url": url, "role": "misused"} for url in images_if_none]
    if not images:
        what = "a ClaimReview" if media is None else "a MediaReview"
        return f"{what} with no image to match ({review.get('url') or 'no url'}): skipped"
    fields = {
        "title": (_text(review.get("name")) or _text(review.get("headline")) or claimed or "")[
            :300
        ],
        "category": category,
        "claim": claimed,
        "claim_date": _date(((claim or {}).get("itemReviewed") or {}).get("datePublished")),
        "rating": rating[:80] if rating else None,
        "origin": {
            "description": (media or {}).get("originalMediaContextDescription")
            or "Described in the fact-check: see its sources.",
            "url": _url(origin_link),
            "author": _text(origin_link.get("author")) if isinstance(origin_link, dict) else None,
            "date": _date(origin_link.get("datePublished"))
            if isinstance(origin_link, dict)
            else None,
        },
        "appearances": _appearances(claim),
        "sources": _sources(review, claim),
        "images": images,
    }
    try:
        return EntryImport.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        return f"{review.get('url') or 'a review'}: {problems}"


def _images(media: dict[str, Any] | None, claim: dict[str, Any] | None) -> list[dict[str, Any]]:
    found = []
    if media is not None:
        item = _first(media.get("itemReviewed")) or {}
        for shown in _as_list(item.get("mediaItemAppearance")):
            url = shown.get("contentUrl") if isinstance(shown, dict) else None
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                role = _ROLES.get(shown.get("description"), "misused")
                found.append({"url": url, "role": role})
    elif claim is not None:
        item = _first(claim.get("itemReviewed")) or {}
        for work in _as_list(item.get("appearance")):
            for image in _as_list(work.get("image") if isinstance(work, dict) else None):
                url = _url(image)
                if url:
                    found.append({"url": url, "role": "misused"})
    unique = {image["url"]: image for image in found}
    return list(unique.values())[:20]


def _appearances(claim: dict[str, Any] | None) -> list[dict[str, Any]]:
    item = _first((claim or {}).get("itemReviewed")) or {}
    works = _as_list(item.get("firstAppearance")) + _as_list(item.get("appearance"))
    rows: dict[str, dict[str, Any]] = {}
    for work in works:
        url = _url(work)
        if url is None or url in rows or not isinstance(work, dict):
            continue
        rows[url] = {
            "url": url,
            "publisher": _text(work.get("publisher")) or _text(work.get("author")),
            "date": _date(work.get("datePublished")),
            "language": _text(work.get("inLanguage")),
            "claim": work.get("text") if isinstance(work.get("text"), str) else None,
        }
    ordered = [rows[u] for u in (_url(w) for w in _as_list(item.get("appearance"))) if u in rows]
    return ordered + [row for row in rows.values() if row not in ordered]


def _sources(review: dict[str, Any], claim: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fact-check itself (unless it is an OriginCheck entry page, which is not a
    debunk but this very entry), then what it cites."""
    sources = []
    author = _text(review.get("author"))
    if author != "OriginCheck" and _url(review.get("url")):
        sources.append(
            {
                "url": review["url"],
                "publisher": author,
                "date": _date(review.get("datePublished")),
                "title": _text(review.get("headline")) or _text(review.get("name")),
            }
        )
    for cited in _as_list((claim or {}).get("citation")):
        url = _url(cited)
        if url and isinstance(cited, dict) and all(s["url"] != url for s in sources):
            sources.append(
                {
                    "url": url,
                    "publisher": _text(cited.get("publisher")),
                    "date": _date(cited.get("datePublished")),
                    "title": _text(cited.get("name")),
                }
            )
    return sources
