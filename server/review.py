"""Turning a submission into an entry: the one place approval and merging are decided.

Both the moderators' JSON API and their web pages call these functions, so the two
can never disagree about what an approval creates.
"""

from __future__ import annotations

import json

from flask import current_app

from .checks import get_index_holder
from .matching.decode import decode
from .matching.hashing import query_fingerprint
from .records import EntryFields, EntryPatch
from .references import prepare
from .store import Actor, NewImage, get_moderation
from .store import models as m


def stored_image(sub: m.Submission, role: str) -> NewImage:
    return prepare(
        sub.image,
        role=role,
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
        source_url=sub.image_url,
    )


def entry_fields(sub: m.Submission, patch: EntryPatch | None) -> EntryFields:
    """The new entry: what the submitter said, overridden by what the moderator set."""
    evidence = json.loads(sub.evidence_urls or "[]")
    base = {
        "title": (sub.claim or "Untitled submission")[:120],
        "category": "DecontextualizedContent",
        "claim": sub.claim or "(no claim given)",
        "origin": {
            "description": sub.origin_description or "Origin not yet described",
            "url": sub.origin_url,
            "author": sub.origin_author,
            "date": sub.origin_date,
        },
        "appearances": [{"url": sub.seen_url, "date": sub.seen_date}] if sub.seen_url else [],
        "sources": [{"url": url} for url in evidence],
    }
    if patch is not None:
        base.update(patch.model_dump(exclude_unset=True, mode="json"))
    return EntryFields.model_validate(base)


def approve(submission_id: int, patch: EntryPatch | None, actor: Actor) -> int:
    store = get_moderation()
    sub = store.submission(submission_id, with_image=True)
    return store.approve(
        submission_id, entry_fields(sub, patch), stored_image(sub, "misused"), actor
    )


def merge(submission_id: int, entry_id: int, actor: Actor) -> None:
    store = get_moderation()
    sub = store.submission(submission_id, with_image=True)
    store.merge(submission_id, entry_id, stored_image(sub, "variant"), actor)


def candidates(sub: m.Submission) -> dict[str, list[dict[str, int]]]:
    """Published entries and other open submissions this one looks like, nearest first."""
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    fingerprint = query_fingerprint(sub.image, decode(sub.image, max_pixels=max_pixels, grey=True))
    codes = [code for _, code in fingerprint.hashes]
    radius = current_app.config["POSSIBLE_MATCH_THRESHOLD"]  # anything a reader would be shown
    entries = [
        {"entry_id": hit.entry_id, "distance": hit.distance}
        for hit in get_index_holder().current().hashes.search(codes, radius)
    ]
    mine = bytes.fromhex(sub.pdq)
    others = []
    for other_id, pdq in get_moderation().open_submissions_pdq():
        if other_id != sub.id:
            distance = min(_hamming(code, bytes.fromhex(pdq)) for code in [mine, *codes])
            if distance <= radius:
                others.append({"submission_id": other_id, "distance": distance})
    return {"entries": entries, "submissions": sorted(others, key=lambda c: c["distance"])}


def _hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
