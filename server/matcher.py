"""Deciding what a query matches: stage 1 (PDQ) first, stage 2 (local features) after.

Pure functions over the worker's indexes, shared by the API and bench/accuracy, so
the benchmark measures exactly what the server decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from .features import extract
from .hashing import Fingerprint
from .index import Hit, Snapshot


@dataclass(frozen=True)
class Thresholds:
    match: int  # PDQ distance of a confirmed match
    possible: int  # PDQ distance of an unconfirmed one
    min_inliers: int | None  # stage 2 confirmed match; stage 2 off when None
    possible_inliers: int | None = None  # stage 2 unconfirmed match


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


def find(fp: Fingerprint, image: Image.Image, snapshot: Snapshot, th: Thresholds) -> list[Found]:
    """Best first: confirmed before unconfirmed, then by closeness."""
    names = [name for name, _ in fp.hashes]
    found = [
        _from_hit(hit, names, th)
        for hit in snapshot.hashes.search([c for _, c in fp.hashes], th.possible)
    ]
    if any(f.confirmed for f in found) or th.min_inliers is None:
        return found
    # Stage 2 only when the hashes found nothing certain: crops, screenshots, rotations.
    verified = snapshot.features.search(extract(image), th.min_inliers)
    confirmed = {v.entry_id for v in verified}
    stage2 = [
        Found(
            v.entry_id,
            v.image_id,
            True,
            "local-features",
            "local-features",
            v.share,
            inliers=v.inliers,
        )
        for v in verified
    ]
    return stage2 + [f for f in found if f.entry_id not in confirmed]


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
