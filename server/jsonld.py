"""An entry as schema.org MediaReview with its associated ClaimReview (JSON-LD).

Fact-checkers and platforms already exchange these types, so publishing them makes
our entries importable elsewhere at no cost.
"""

from __future__ import annotations

from typing import Any

from .records import EntryOut, ImageOut, Provenance


def media_review(entry: EntryOut, base_url: str) -> dict[str, Any]:
    page = base_url + entry.url
    origin = entry.origin
    item: dict[str, Any] = {
        "@type": "MediaReviewItem",
        "mediaItemAppearance": [
            {
                "@type": "ImageObject",
                "contentUrl": str(a.url),
                **({"uploadDate": a.date.isoformat()} if a.date else {}),
                **(
                    {"publisher": {"@type": "Organization", "name": a.publisher}}
                    if a.publisher
                    else {}
                ),
                **({"inLanguage": a.language} if a.language else {}),
            }
            for a in entry.appearances
        ],
    }
    if entry.images:
        item["associatedMedia"] = [_image_object(image, base_url) for image in entry.images]
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MediaReview",
        "@id": page,
        "url": page,
        "name": entry.title,
        "mediaAuthenticityCategory": entry.category,
        "originalMediaContextDescription": origin.description,
        "itemReviewed": item,
        "datePublished": entry.created_at.date().isoformat(),
        "dateModified": entry.updated_at.date().isoformat(),
        "author": {"@type": "Organization", "name": "OriginCheck"},
        "associatedClaimReview": {
            "@type": "ClaimReview",
            "url": page,
            "claimReviewed": entry.claim,
            "reviewRating": {
                "@type": "Rating",
                "alternateName": entry.rating or entry.category_label,
            },
            "itemReviewed": {
                "@type": "Claim",
                **({"datePublished": entry.claim_date.isoformat()} if entry.claim_date else {}),
                "appearance": [
                    {"@type": "CreativeWork", "url": str(a.url)} for a in entry.appearances
                ],
            },
            "citation": [
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
            ],
        },
    }
    if origin.url:
        review["originalMediaLink"] = {"@type": "ImageObject", "url": str(origin.url)}
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
