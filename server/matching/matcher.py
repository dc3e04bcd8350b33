"""Deciding what a query matches: stage 1 (PDQ) first, stage 2 (local features) after.

Pure functions over the worker's indexes, shared by the API and bench/accuracy, so
the benchmark measures exactly what the server decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from .agreement import agreement
from .decode import grey_pixels
from .features import extract
from .hashing import Fingerprint, picture_hashes
from .index import Hit, Snapshot
from .regions import picture_boxes


@dataclass(frozen=True)
class Thresholds:
    """The decision thresholds; values come from config (``checks.thresholds``)."""

    match: int  # PDQ distance of a confirmed match
    possible: int  # PDQ distance of an unconfirmed one
    min_inliers: int | None  # stage 2 needs this many geometric inliers; off when None
    min_agreement: float  # ... and this share of agreeing cells to confirm
    possible_agreement: float  # ... or this share for an unconfirmed match
    min_quality: int  # PDQ quality below which a picture inside the query is not hashed


@dataclass(frozen=True)
class Found:
    entry_id: int
    image_id: int
    confirmed: bool
    method: str  # "pdq" or "local-features"
    variant: str
    similarity: float
    distance: int | None = None
    inliers: int | None = None
    agreement: float | None = None


@dataclass(frozen=True)
class LocalMatch:
    """Stage 2's evidence for one stored image: geometry and pixels."""

    entry_id: int
    image_id: int
    inliers: int
    agreement: float
    region: str  # "whole" or "picture-N" (N-th picture found inside the query)


def find(
    fp: Fingerprint,
    image: Image.Image,
    snapshot: Snapshot,
    th: Thresholds,
    sharper: Callable[[], Image.Image] | None = None,
) -> list[Found]:
    """Best first: confirmed before unconfirmed, then by closeness.

    ``sharper`` returns the same picture decoded larger than the work picture; it is
    called only when stage 2 finds pictures inside the query (a screenshot).
    """
    names = [name for name, _ in fp.hashes]
    found = [
        _from_hit(hit, names, th)
        for hit in snapshot.hashes.search([c for _, c in fp.hashes], th.possible)
    ]
    if any(f.confirmed for f in found) or th.min_inliers is None:
        return found
    # Stage 2 only when the hashes found nothing certain: crops, screenshots, rotations.
    # First the pictures inside the query (a screenshot's photo), hashed on their own.
    image, boxes = pictures_inside(image, sharper)
    inner = picture_hashes(image, boxes, th.min_quality)
    if inner:
        names = [name for name, _ in inner]
        inside = [
            _from_hit(hit, names, th)
            for hit in snapshot.hashes.search([c for _, c in inner], th.possible)
        ]
        found = _merge(inside, found)
        if any(f.confirmed for f in found):
            return found
    stage2 = [
        Found(
            m.entry_id,
            m.image_id,
            m.agreement >= th.min_agreement,
            "local-features",
            m.region,
            m.agreement,
            inliers=m.inliers,
            agreement=m.agreement,
        )
        for m in local_matches(image, boxes, snapshot, th.min_inliers, th.min_agreement)
        if m.agreement >= th.possible_agreement
    ]
    return _merge(stage2, found)


def pictures_inside(
    image: Image.Image, sharper: Callable[[], Image.Image] | None
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """The picture stage 2 should look at, and the boxes of the pictures inside it.

    A screenshot's pictures are small in the work picture, so when there are any, the
    larger decode from ``sharper`` is used instead, with the boxes scaled to it.
    """
    boxes = picture_boxes(image)
    if not boxes or sharper is None:
        return image, boxes
    larger = sharper()
    ratio = larger.width / image.width
    scaled = [
        (round(a * ratio), round(b * ratio), round(c * ratio), round(d * ratio))
        for a, b, c, d in boxes
    ]
    return larger, scaled


def _merge(better: list[Found], found: list[Found]) -> list[Found]:
    """One result per entry (``better`` wins), confirmed first, each list keeping its order."""
    seen = {f.entry_id for f in better}
    merged = better + [f for f in found if f.entry_id not in seen]
    return sorted(merged, key=lambda f: not f.confirmed)


def local_matches(
    image: Image.Image,
    boxes: list[tuple[int, int, int, int]],
    snapshot: Snapshot,
    min_inliers: int,
    enough: float,
) -> list[LocalMatch]:
    """Stored images that fit the query geometrically, with their pixel agreement.

    The whole query is looked at first; the pictures found inside it (``boxes``, from
    ``regions.picture_boxes``) only if that gave no image with ``enough`` agreement.
    Best first.
    """
    grey = grey_pixels(image)
    best: dict[int, LocalMatch] = {}
    for number, box in enumerate([None, *boxes]):
        if any(m.agreement >= enough for m in best.values()):
            break
        query = extract(image, box)
        for candidate in snapshot.features.search(query, min_inliers):
            picture = snapshot.pictures(candidate.image_id)
            if picture is None:
                continue
            match = LocalMatch(
                candidate.entry_id,
                candidate.image_id,
                candidate.inliers,
                agreement(grey, picture, candidate.homography),
                "whole" if box is None else f"picture-{number}",
            )
            kept = best.get(match.entry_id)
            if kept is None or (match.agreement, match.inliers) > (kept.agreement, kept.inliers):
                best[match.entry_id] = match  # one per entry, as stage 1 reports
    return sorted(best.values(), key=lambda m: (-m.agreement, -m.inliers))


def verdict(found: list[Found]) -> str:
    """What a reader is told: a confirmed match, an unconfirmed one, or nothing."""
    if not found:
        return "no_match"
    return "match" if found[0].confirmed else "possible_match"


def find_hash(code: bytes, snapshot: Snapshot, th: Thresholds) -> list[Found]:
    return [_from_hit(hit, ["original"], th) for hit in snapshot.hashes.search([code], th.possible)]


def _from_hit(hit: Hit, names: list[str], th: Thresholds) -> Found:
    return Found(
        entry_id=hit.entry_id,
        image_id=hit.image_id,
        confirmed=hit.distance <= th.match,
        method="pdq",
        variant=f"{names[hit.query]}/{hit.reference_variant}",
        similarity=round(1 - hit.distance / 256, 4),
        distance=hit.distance,
    )
