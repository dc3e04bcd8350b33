"""Entries as fact-check markup laid out as Google documents it, in schema.org's words.

Every node is checked against the properties schema.org defines for its type (so no
misspelt or invented property slips in), against Google's required and recommended
properties for ClaimReview and MediaReview, and for emptiness (no ``[]``, no blank
strings): the issues a fact-checker's validator would raise.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from server.jsonld import RATING_VALUES, fact_check
from server.records import CATEGORIES, EntryOut

BASE = "https://check.example.org"

# schema.org properties of each type used (its own and inherited ones we may write).
THING = {"@type", "@id", "name", "url", "description"}
CREATIVE_WORK = THING | {
    "author",
    "datePublished",
    "dateModified",
    "publisher",
    "inLanguage",
    "citation",
}
SCHEMA = {
    "ClaimReview": CREATIVE_WORK | {"claimReviewed", "reviewRating", "itemReviewed"},
    "MediaReview": CREATIVE_WORK
    | {
        "itemReviewed",
        "mediaAuthenticityCategory",
        "originalMediaContextDescription",
        "originalMediaLink",
        "associatedClaimReview",
    },
    "Claim": CREATIVE_WORK | {"appearance", "firstAppearance"},
    "MediaReviewItem": CREATIVE_WORK | {"mediaItemAppearance"},
    "Rating": THING | {"alternateName", "ratingValue", "bestRating", "worstRating"},
    "Organization": THING,
    "Person": THING,
    "CreativeWork": CREATIVE_WORK,
    "WebPage": CREATIVE_WORK,
    "ImageObject": CREATIVE_WORK | {"contentUrl", "width", "height", "exifData"},
    "PropertyValue": THING | {"value", "propertyID"},
}
# Google's lists: required, then recommended.
GOOGLE = {
    "ClaimReview": (
        {"claimReviewed", "reviewRating", "url"},
        {"author", "datePublished", "itemReviewed"},
    ),
    "MediaReview": (
        {"author", "datePublished", "itemReviewed", "mediaAuthenticityCategory", "url"},
        {"originalMediaContextDescription", "originalMediaLink"},
    ),
    "Rating": ({"alternateName"}, {"ratingValue", "bestRating", "worstRating"}),
    "Claim": (set(), {"appearance", "firstAppearance", "author", "datePublished"}),
}


def entry(**fields: Any) -> EntryOut:
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    values: dict[str, Any] = {
        "id": 7,
        "url": "/entries/7",
        "title": "Game trailer frame shown as an airstrike",
        "category": "DecontextualizedContent",
        "category_label": "Real image, false context",
        "claim": "Proof of last night's strike.",
        "claim_date": "2024-03-01",
        "origin": {
            "description": "A frame of a 2013 game trailer",
            "url": "https://origin.example/trailer",
            "author": "Studio X",
            "date": "2013-05-01",
        },
        "appearances": [
            {
                "url": "https://ministry.example/post/2",
                "publisher": "Ministry",
                "date": "2024-03-02",
            },
            {
                "url": "https://ministry.example/post/1",
                "publisher": "Ministry",
                "date": "2024-03-01",
            },
        ],
        "sources": [{"url": "https://factcheck.example/a", "publisher": "Fact desk"}],
        "images": [
            {
                "id": 3,
                "role": "original",
                "width": 640,
                "height": 427,
                "pdq": "0" * 64,
                "thumbnail_url": "/images/3/thumbnail.jpg",
            },
        ],
        "created_at": now,
        "updated_at": now,
        "videos": [],
        "version": 1,
        **fields,
    }
    return EntryOut.model_validate(values)


def nodes(value: Any) -> list[dict[str, Any]]:
    """Every typed node of the document, nested ones included."""
    found = []
    if isinstance(value, dict):
        if "@type" in value:
            found.append(value)
        for child in value.values():
            found += nodes(child)
    elif isinstance(value, list):
        for child in value:
            found += nodes(child)
    return found


def empties(value: Any, path: str = "") -> list[str]:
    if value in ([], {}, "", None):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empties(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"appearances": [], "sources": [], "claim_date": None, "images": []},  # the bare minimum
        {"origin": {"description": "An archive photo"}, "rating": "Miscaptioned"},
    ],
)
def test_every_node_uses_schema_org_properties_and_google_required_ones(fields) -> None:  # type: ignore[no-untyped-def]
    document = fact_check(entry(**fields), BASE)
    assert document["@context"] == "https://schema.org"
    assert empties(document) == []
    for node in nodes(document):
        kind = node["@type"]
        assert kind in SCHEMA, kind
        assert set(node) <= SCHEMA[kind], (kind, set(node) - SCHEMA[kind])
        required, _ = GOOGLE.get(kind, (set(), set()))
        assert required <= set(node), (kind, required - set(node))
    claim, media = document["@graph"]
    assert (claim["@type"], media["@type"]) == ("ClaimReview", "MediaReview")
    assert media["associatedClaimReview"] == {"@id": claim["@id"]}


def test_a_full_entry_has_every_recommended_property() -> None:
    claim, media = fact_check(entry(), BASE)["@graph"]
    for node in (claim, media, claim["reviewRating"], claim["itemReviewed"]):
        _, recommended = GOOGLE[node["@type"]]
        assert recommended <= set(node), (node["@type"], recommended - set(node))
    assert claim["author"] == {"@type": "Organization", "name": "OriginCheck", "url": BASE + "/"}
    # The first appearance is the earliest, whatever order they were stored in.
    assert claim["itemReviewed"]["firstAppearance"]["url"] == "https://ministry.example/post/1"
    assert claim["itemReviewed"]["author"] == {"@type": "Organization", "name": "Ministry"}
    # The MediaReview's item is the stored image, not the post it was seen in.
    image = media["itemReviewed"]["mediaItemAppearance"][0]
    assert image["contentUrl"] == BASE + "/images/3/thumbnail.jpg"
    assert claim["reviewRating"]["ratingValue"] == 2


def test_every_verdict_has_a_rating_on_googles_scale() -> None:
    assert set(RATING_VALUES) == set(CATEGORIES)
    assert all(1 <= v <= 5 for v in RATING_VALUES.values())
