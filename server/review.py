"""Turning a submission into an entry: the one place approval and merging are decided.

Both the moderators' JSON API and their web pages call these functions, so the two
can never disagree about what an approval creates.

What a report looks like (``candidates``: the entries the reader's check matches, and
open reports with a near hash) is found once, by a background task, and stored with
the report. Opening the queue used to decode and fingerprint every listed report
again, so nine hostile uploads made it time out on every try (security review F2).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import current_app
from pydantic import ValidationError

from .checks import find_matches
from .errors import ApiError
from .jobs import enqueue, sweeper, task
from .matching.decode import ImageError
from .matching.pdq import hamming
from .records import EntryFields, EntryPatch
from .references import beside_of, prepare
from .store import Actor, DuplicateVideo, Merged, NewImage, get_moderation, get_store
from .store import models as m
from .submissions import tell_reporter
from .videos import add_video

OPEN = ("pending", "needs_info")


def entry_image(
    data: bytes, role: str, entry_id: int | None = None, source_url: str | None = None
) -> NewImage:
    """An image as an entry stores it: when it joins an entry, cut to where the entry's
    original shows in it (a screenshot of the post it circulated in)."""
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    originals = get_store().originals_of(entry_id) if entry_id is not None else []
    return prepare(
        data,
        role=role,
        max_pixels=max_pixels,
        source_url=source_url,
        beside=beside_of(originals, max_pixels=max_pixels),
    )


def stored_image(sub: m.Submission, role: str, entry_id: int | None = None) -> NewImage:
    """The report's image as the entry stores it (``entry_image``)."""
    image = entry_image(sub.image, role, entry_id, sub.image_url)
    # A large report is kept re-encoded, without its credentials: keep what was read
    # from the bytes as sent.
    return replace(image, provenance=sub.provenance or image.provenance)


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
    try:
        return EntryFields.model_validate(base)
    except ValidationError as exc:
        # What the report said, with the moderator's fields, can still be no entry (an
        # address that grows past its limit once normalised): a 400, not a 500.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ApiError("invalid_request", problems) from None


def approve(submission_id: int, patch: EntryPatch | None, actor: Actor) -> int:
    store = get_moderation()
    sub = store.submission(submission_id, with_image=True)
    entry_id = store.approve(
        submission_id, entry_fields(sub, patch), stored_image(sub, "misused"), actor
    )
    _index_video_of(submission_id, entry_id, "misused", actor)
    tell_reporter(submission_id)
    return entry_id


def merge(submission_id: int, entry_id: int, actor: Actor) -> Merged:
    store = get_moderation()
    sub = store.submission(submission_id, with_image=True)
    merged = store.merge(submission_id, entry_id, stored_image(sub, "variant", entry_id), actor)
    _index_video_of(submission_id, entry_id, "variant", actor)
    tell_reporter(submission_id)
    return merged


def reject(submission_id: int, reason: str, actor: Actor) -> None:
    get_moderation().reject(submission_id, reason, actor)
    tell_reporter(submission_id)


def request_info(submission_id: int, message: str, actor: Actor) -> None:
    get_moderation().request_info(submission_id, message, actor)
    tell_reporter(submission_id)


def _index_video_of(submission_id: int, entry_id: int, role: str, actor: Actor) -> None:
    """A report that is a video gives the entry a reference video (indexed in the
    background); its first frame is already stored with the entry as a still."""
    video = get_moderation().video_of(submission_id)
    if video is None:
        return
    try:
        add_video(entry_id, video, role=role, actor=actor)
    except DuplicateVideo:
        pass  # the entry has it already


def candidates(sub: m.Submission) -> dict[str, Any] | None:
    """What the report looks like, as stored by ``analyze_submission``; None until then."""
    return json.loads(sub.candidates) if sub.candidates else None


@task
def analyze_submission(submission_id: int) -> None:
    """Find, once, the entries and open reports a report looks like, and store them.

    Entries come from the reader's own check (stage 1 and stage 2), so a cropped,
    captioned copy that readers are told is a known fake shows as one to moderators.
    """
    store = get_moderation()
    sub = store.begin_analysis(submission_id)
    if sub is None:
        return
    try:
        fingerprint, found = find_matches(sub.image)
    except ImageError:
        store.save_analysis(submission_id, None)
        return
    entries = [
        {
            "entry_id": f.entry_id,
            "confirmed": f.confirmed,
            "similarity": f.similarity,
            "distance": f.distance,
            "method": f.method,
        }
        for f in found or []
    ]
    codes = [bytes.fromhex(sub.pdq)] + [code for _, code in fingerprint.hashes]
    radius = current_app.config["POSSIBLE_MATCH_THRESHOLD"]
    others = []
    for other_id, pdq in store.open_submissions_pdq():
        if other_id != sub.id:
            distance = min(hamming(code, bytes.fromhex(pdq)) for code in codes)
            if distance <= radius:
                others.append({"submission_id": other_id, "distance": distance})
    others.sort(key=lambda c: c["distance"])
    store.save_analysis(submission_id, {"entries": entries, "submissions": others[:20]})


@sweeper
def overdue_analyses() -> int:
    overdue = get_moderation().overdue_analyses(current_app.config["JOB_OVERDUE"])
    for submission_id in overdue:
        enqueue("analyze_submission", submission_id)
    return len(overdue)
