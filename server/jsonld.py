"""An entry as schema.org fact-check markup: a ClaimReview and a MediaReview (JSON-LD).

Laid out as Google documents both (developers.google.com/search/docs/appearance/
structured-data/factcheck and the MediaReview guide): a top-level ClaimReview of the
false claim, with its author, date, rating (in words and in numbers) and the claim it
reviews (where it appeared first, who made it, when); and a MediaReview whose reviewed
item is the stored image itself. Both in one ``@graph``, each with an ``@id``. Fact-
checkers and platforms already exchange these, so our entries are importable elsewhere;
nothing empty is ever written (no ``[]``, no blank names).
"""

from __future__ import annotations

from typing import Any

from .factchecks import ROLE_WORDS
from .records import Appearance, EntryOut, ImageOut, Provenance

#: How true each verdict leaves the claim, on Google's 1 (false) to 5 (true) scale.
RATING_VALUES = {
    "TransformedContent": 1,
    "StagedContent": 1,
    "EditedOrCroppedContent": 2,
    "DecontextualizedContent": 2,
    "SatireOrParodyContent": 3,
    "OriginalMediaContent": 5,
}


def fact_check(entry: EntryOut, base_url: str) -> dict[str, Any]:
    """The entry's ClaimReview and MediaReview, one document."""
    return {
        "@context": "https://schema.org",
        "@graph": [claim_review(entry, base_url), media_review(entry, base_url)],
    }


def _review(kind: str, entry: EntryOut, base_url: str) -> dict[str, Any]:
    """What both reviews of an entry say of themselves: where, by whom, when."""
    page = base_url + entry.url
    return {
        "@type": kind,
        "@id": f"{page}#{_ANCHORS[kind]}",
        "url": page,
        "author": {"@type": "Organization", "name": "OriginCheck", "url": base_url + "/"},
        "datePublished": entry.created_at.date().isoformat(),
        "dateModified": entry.updated_at.date().isoformat(),
    }


_ANCHORS = {"ClaimReview": "claim-review", "MediaReview": "media-review"}


def claim_review(entry: EntryOut, base_url: str) -> dict[str, Any]:
    claim: dict[str, Any] = {"@type": "Claim"}
    if entry.appearances:
        # In the entry's order (an import gives the same entry back); the first is the
        # earliest dated one.
        first = min(entry.appearances, key=lambda a: (a.date is None, a.date))
        claim["appearance"] = [_creative_work(a) for a in entry.appearances]
        claim["firstAppearance"] = _creative_work(first)
        if first.publisher:
            claim["author"] = {"@type": "Organization", "name": first.publisher}
    if entry.claim_date:
        claim["datePublished"] = entry.claim_date.isoformat()
    review: dict[str, Any] = {
        **_review("ClaimReview", entry, base_url),
        "claimReviewed": entry.claim,
        "reviewRating": {
            "@type": "Rating",
            "alternateName": entry.rating or entry.category_label,
            "ratingValue": RATING_VALUES.get(entry.category, 1),
            "bestRating": 5,
            "worstRating": 1,
        },
        "itemReviewed": claim,
    }
    if entry.sources:
        review["citation"] = [
            {
                "@type": "CreativeWork",
                "url": str(s.url),
                **({"name": s.title} if s.title else {}),
                **(
                    {"publisher": {"@type": "Organization", "name": s.publisher}}
                    if s.publisher
                    else {}
                ),
                **({"datePublished": s.date.isoformat()} if s.date else {}),
            }
            for s in entry.sources
        ]
    return review


def _creative_work(appearance: Appearance) -> dict[str, Any]:
    """A post or page where the false claim was published with the image."""
    work: dict[str, Any] = {"@type": "CreativeWork", "url": str(appearance.url)}
    if appearance.publisher:
        work["publisher"] = {"@type": "Organization", "name": appearance.publisher}
    if appearance.date:
        work["datePublished"] = appearance.date.isoformat()
    if appearance.language:
        work["inLanguage"] = appearance.language
    if appearance.claim:
        work["text"] = appearance.claim  # what the post said there, in its words
    return work


def media_review(entry: EntryOut, base_url: str) -> dict[str, Any]:
    page = base_url + entry.url
    origin = entry.origin
    item: dict[str, Any] = {"@type": "MediaReviewItem"}
    if entry.images:
        item["mediaItemAppearance"] = [_image_object(image, base_url) for image in entry.images]
    review: dict[str, Any] = {
        **_review("MediaReview", entry, base_url),
        "name": entry.title,
        "mediaAuthenticityCategory": entry.category,
        "originalMediaContextDescription": origin.description,
        "itemReviewed": item,
        "associatedClaimReview": {"@id": f"{page}#{_ANCHORS['ClaimReview']}"},
    }
    if origin.url:
        review["originalMediaLink"] = {"@type": "WebPage", "url": str(origin.url)}
        if origin.author:
            review["originalMediaLink"]["author"] = {"@type": "Person", "name": origin.author}
        if origin.date:
            review["originalMediaLink"]["datePublished"] = origin.date.isoformat()
    return review


def _image_object(image: ImageOut, base_url: str) -> dict[str, Any]:
    """A stored image of the entry; what its file said of its origin goes in
    ``exifData`` (schema.org's place for a file's own metadata), as PropertyValues."""
    found: dict[str, Any] = {
        "@type": "ImageObject",
        "contentUrl": base_url + image.thumbnail_url,
        "width": image.width,
        "height": image.height,
        "description": ROLE_WORDS[image.role],  # read back by factchecks.py
    }
    facts = _provenance_values(image.provenance) if image.provenance else []
    if facts:
        found["exifData"] = facts
    return found


def _provenance_values(p: Provenance) -> list[dict[str, Any]]:
    values: list[tuple[str, str, str | None]] = []  # (name, value, propertyID)
    if p.credentials:
        c = p.credentials
        values.append(("Content Credentials (C2PA)", c.summary, "c2pa:validation_state"))
        if c.state in ("trusted", "valid"):
            values += [
                ("C2PA signer", c.signer or c.signer_name or "", None),
                ("C2PA claim generator", c.generator or "", None),
                ("C2PA actions", ", ".join(c.actions), None),
                ("C2PA signing time", c.signed_at or "", None),
            ]
    if p.source_type:
        values.append(
            ("IPTC digital source type", p.source_type.iri, "Iptc4xmpExt:DigitalSourceType")
        )
    values += [("AI generator trace", marker, None) for marker in p.ai_markers]
    if p.file_claims:
        values += [
            ("Camera (claimed)", p.file_claims.camera or "", "exif:Model"),
            ("Capture time (claimed)", p.file_claims.captured_at or "", "exif:DateTimeOriginal"),
            ("Software (claimed)", p.file_claims.software or "", "exif:Software"),
        ]
    return [
        {"@type": "PropertyValue", "name": name, "value": value}
        | ({"propertyID": prop} if prop else {})
        for name, value, prop in values
        if value
    ]
