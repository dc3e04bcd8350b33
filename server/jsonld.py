"""An entry as schema.org MediaReview with its associated ClaimReview (JSON-LD).

Fact-checkers and platforms already exchange these types, so publishing them makes
our entries importable elsewhere at no cost.
"""

from __future__ import annotations

from typing import Any

from .records import EntryOut


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
