"""Deciding what a query matches: stage 1 (PDQ) first, stage 2 (local features) after,
and for every candidate, the pixels.

How a match is decided (README "How a match is decided"):

1. A candidate comes from a near hash (stage 1, or a picture found inside the query) or
   from keypoints one homography explains (stage 2). Keypoints that the bank holds in
   many entries are what pictures share (frames, logos, interface) and give no vote.
2. Every candidate is checked on the pixels, over the stored picture's own content in
   the overlap (``agreement.compare``): textured cells must correlate, flat ones must
   have the tone the rest predicts. A hash or a keypoint cluster on a shared frame does
   not make the picture behind it the same.
3. A match must be distinctive: when another known picture is about as close to the
   same region of the query, what the query shares with them is what they share with
   each other (an interface, a layout, a template), and neither is confirmed.
4. Pictures made of words (statements, memes) are the same only if their words are
   (``text.same_words``, where the server can read them).

Confirmed: a near hash (≤ ``match`` bits) or ``min_inliers`` spread keypoints, with
agreement ≥ its threshold. Possible (shown as unconfirmed): a hash within ``possible``
bits or fewer keypoints, with agreement ≥ ``possible_agreement``. Anything else is not
shown at all. Pure functions over the worker's indexes, shared by the API and
bench/accuracy, so the benchmark measures exactly what the server decides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from PIL import Image

from .agreement import Evidence, Shared, compare
from .decode import grey_pixels
from .features import Candidate, extract
from .geometry import Box, area, hash_homography, reference_window, scaled
from .hashing import Fingerprint, picture_hashes
from .index import Hit, Snapshot
from .negatives import shown_over_share
from .regions import MAX_BOXES, overlap, panel_boxes, picture_boxes
from .source import StoredPicture
from .text import MIN_WORDS, SAME_WORDS, Words, same_words

#: A template or overlay explains a candidate whose agreement beats its own by less.
MATERIAL_MARGIN = 0.1


@dataclass(frozen=True)
class Thresholds:
    """The decision thresholds; values come from config (``checks.thresholds``)."""

    match: int  # PDQ distance of a confirmed match
    possible: int  # PDQ distance of an unconfirmed one
    min_inliers: int | None  # stage 2 needs this many geometric inliers; off when None
    min_agreement: float  # ... and this share of agreeing cells to confirm
    possible_agreement: float  # ... or this share for an unconfirmed match
    min_quality: int  # PDQ quality below which a picture inside the query is not hashed
    hash_agreement: float = 0.6  # a near hash is confirmed when the pixels agree this much
    min_coverage: float = 0.1  # the query overlaps this share of the stored content, at least
    #: A patch of disagreeing cells, surrounded by agreeing ones, this large (share of the
    #: compared cells) is a different picture in the same post or page: no match at all.
    max_hole: int = 16

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Thresholds:
        """The thresholds a server with ``config`` (``config.DEFAULTS`` or an app's) uses."""
        return cls(
            match=config["MATCH_THRESHOLD"],
            possible=config["POSSIBLE_MATCH_THRESHOLD"],
            min_inliers=config["MIN_INLIERS"] if config.get("STAGE2_ENABLED", True) else None,
            min_agreement=config["MIN_AGREEMENT"],
            possible_agreement=config["POSSIBLE_AGREEMENT"],
            min_quality=config["MIN_PDQ_QUALITY"],
        )


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
    coverage: float | None = None
    #: The matched region, in the query's work-picture pixels and in the stored picture's.
    query_box: Box | None = None
    reference_box: Box | None = None
    #: Where all of the stored picture's content lies in the query (query pixels).
    shown_at: Box | None = None
    evidence: Evidence | None = None  # what the pixel check found
    #: For a picture made of words: how much of what it says the query says (0-1).
    words: float | None = None
    #: For a frame of a video: its other frames that agree as well (the same picture at
    #: other moments of a shot, which the pixels cannot tell apart).
    alike_frames: tuple[int, ...] = ()
    sequence: int | None = None  # the video of a frame (``StoredPicture.sequence``)


def find(
    fp: Fingerprint,
    image: Image.Image,
    snapshot: Snapshot,
    th: Thresholds,
    sharper: Callable[[], Image.Image] | None = None,
    chroma: Callable[[], np.ndarray | None] | None = None,
    words: Callable[[], Words | None] | None = None,
) -> list[Found]:
    """Every stored picture the query shows, best first: confirmed before unconfirmed,
    larger regions of the query first (a collage's pictures in the order of their size).

    ``sharper`` returns the same picture decoded larger than the work picture; it is
    called only when stage 2 finds pictures inside the query (a screenshot, a collage).
    ``chroma`` returns the work picture's colour (``decode.decode_chroma``); it is called
    only when a candidate's pixels are checked. ``words`` reads the query's words
    (``text.read_words``); it is called only when a candidate is a picture made of
    words, which the query must then say too. A candidate that an item of the negative
    bank explains as well is left out (``negatives.py``).
    """
    found = _said(_find(fp, image, snapshot, th, sharper, chroma), snapshot, words)
    lookalikes = snapshot.negatives.lookalikes
    if not found or lookalikes is None:
        return found
    rivals = [r for r in _find(fp, image, lookalikes, th, sharper, chroma) if r.agreement]
    kinds = snapshot.negatives.kinds
    return [f for f in found if not any(_explains(r, f, kinds[r.entry_id]) for r in rivals)]


def _said(
    found: list[Found], snapshot: Snapshot, words: Callable[[], Words | None] | None
) -> list[Found]:
    """Candidates for pictures made of words, judged by what the query says: the same
    words confirm, other words rule out, no words (or no reader) leave the pixels'
    verdict; in between, a candidate is at most unconfirmed."""
    read: list[Words | None] = []
    kept = []
    for f in found:
        stored = snapshot.pictures(f.image_id)
        if stored is None or not stored.text or words is None:
            kept.append(f)
            continue
        if not read:
            read.append(words())
        query = read[0]
        if query is None or query.count < MIN_WORDS // 2:
            kept.append(f)
            continue
        alike = same_words(stored.text, query.text)
        if alike.different:
            continue
        kept.append(replace(f, words=alike.share, confirmed=f.confirmed and alike.same))
    return _ordered(kept)


def _explains(negative: Found, f: Found, kind: str) -> bool:
    """Whether an item of the negative bank explains the part of the query ``f`` covers.

    A lookalike does when it is at least as close: first by the hashes (a near hash
    beats none, a nearer one a farther one: a copy of one frame of a burst is nearer to
    it than to the next), then by the pixels (agreement, then the textured cells' mean
    correlation); a tie goes to the lookalike, since a false "Known fake" is the worse
    mistake. A template or an overlay does when the query agrees with it within
    ``MATERIAL_MARGIN`` of its agreement with the fake: what the fake adds to it (a
    meme's words) is then not what the query shows.
    """
    if f.agreement is None or negative.agreement is None:
        return False
    if f.query_box and negative.query_box and overlap(f.query_box, negative.query_box) < 0.3:
        return False
    if kind == "lookalike":
        return _closeness(negative) >= _closeness(f)
    # The words are what the fake adds to its template, and they match (all of them, or,
    # confirmed, a crop's part of them and nothing else).
    if kind == "template" and f.words is not None and (f.words >= SAME_WORDS or f.confirmed):
        return False
    return negative.agreement >= f.agreement - MATERIAL_MARGIN


def _closeness(f: Found) -> tuple[int, int, float, float]:
    hashed = f.distance is not None
    correlation = f.evidence.correlation if f.evidence else 0.0
    return int(hashed), -(f.distance or 0), f.agreement or 0.0, correlation


def _find(
    fp: Fingerprint,
    image: Image.Image,
    snapshot: Snapshot,
    th: Thresholds,
    sharper: Callable[[], Image.Image] | None = None,
    chroma: Callable[[], np.ndarray | None] | None = None,
) -> list[Found]:
    """``find`` without the negative bank's lookalikes."""
    query = _Query(grey_pixels(image), chroma)
    regions = dict(fp.boxes) or {"full": (0, 0, image.width, image.height)}
    names = [name for name, _ in fp.hashes]
    hits = _distinct_hits(snapshot.hashes.search([c for _, c in fp.hashes], th.possible), names)
    found = _best([_from_hit(hit, names, regions, query, snapshot, th) for hit in hits])
    if _settled(found) or th.min_inliers is None:
        return _ordered(found)
    # Stage 2 only when the hashes found nothing certain: crops, screenshots, rotations;
    # and after a near hash of a video's frame: a hash names the frame whose crop variant
    # is nearest, stage 2 the frame that shows the query most fully and the other moments
    # that show it too (``local_matches``). First the pictures inside the query (a
    # screenshot's photo, a collage's panels), hashed on their own.
    larger, boxes = pictures_inside(image, sharper)
    ratio = larger.width / image.width
    inner = picture_hashes(larger, boxes, th.min_quality)
    if inner:
        names = [name for name, _ in inner]
        inside = {f"picture-{n}": scaled(box, 1 / ratio) for n, box in enumerate(boxes, start=1)}
        hits = _distinct_hits(snapshot.hashes.search([c for _, c in inner], th.possible), names)
        found = _best(found + [_from_hit(h, names, inside, query, snapshot, th) for h in hits])
        if _settled(found) and len(boxes) < 2:
            return _ordered(found)
    if larger is not image:  # stage 2 looks at the larger decode, in its colour too
        query = _Query(grey_pixels(larger), query.chroma_at)
    stage2 = _distinct(
        [
            Found(
                m.entry_id,
                m.image_id,
                _confirmed(m, th),
                "local-features",
                m.region,
                m.evidence.agreement,
                inliers=m.inliers,
                agreement=m.evidence.agreement,
                coverage=m.evidence.coverage,
                query_box=scaled(m.evidence.query_box, 1 / ratio),
                reference_box=m.evidence.reference_box,
                shown_at=scaled(m.evidence.shown_at, 1 / ratio),
                evidence=m.evidence,
                alike_frames=m.alike,
                sequence=m.sequence,
            )
            for m in local_matches(
                larger, boxes, snapshot, th.min_inliers, th.min_agreement, query, th.max_hole
            )
            if _shown(m.evidence, th) and m.evidence.coverage >= th.min_coverage
        ]
    )
    return _ordered(_best(found + stage2))


def _settled(found: list[Found]) -> bool:
    """Whether stage 1's answer stands: a confirmed match, and on a video's frame only
    when other frames agree as well (they give the moments; a frame alone may be the
    nearest crop variant, not the moment, and stage 2 looks again)."""
    confirmed = [f for f in found if f.confirmed]
    return bool(confirmed) and all(f.sequence is None or f.alike_frames for f in confirmed)


def pictures_inside(
    image: Image.Image, sharper: Callable[[], Image.Image] | None
) -> tuple[Image.Image, list[tuple[int, int, int, int]]]:
    """The picture stage 2 should look at, and the boxes of the pictures inside it.

    A screenshot's pictures are small in the work picture, so when there are any, the
    larger decode from ``sharper`` is used instead, with the boxes scaled to it. A
    collage's panels come first (every one is searched), then the outlined pictures
    that are not one of them.
    """
    panels = panel_boxes(image)
    outlined = [b for b in picture_boxes(image) if all(overlap(b, p) < 0.5 for p in panels)]
    boxes = (panels + outlined)[: max(MAX_BOXES, len(panels))]
    if not boxes or sharper is None:
        return image, boxes
    larger = sharper()
    ratio = larger.width / image.width
    scaled_boxes = [
        (round(a * ratio), round(b * ratio), round(c * ratio), round(d * ratio))
        for a, b, c, d in boxes
    ]
    return larger, scaled_boxes


@dataclass(frozen=True)
class LocalMatch:
    """Stage 2's evidence for one stored image: geometry and the pixels."""

    entry_id: int
    image_id: int
    inliers: int
    evidence: Evidence
    region: str  # "whole" or "picture-N" (N-th picture found inside the query)
    sequence: int | None = None  # the stored image's video, for a frame of one
    #: Other frames of that video that agree as well: the same picture at other moments.
    alike: tuple[int, ...] = ()


def local_matches(
    image: Image.Image,
    boxes: list[tuple[int, int, int, int]],
    snapshot: Snapshot,
    min_inliers: int,
    enough: float,
    query: _Query | None = None,
    max_hole: int | None = None,
) -> list[LocalMatch]:
    """Stored images that fit the query geometrically, with their pixel evidence.

    The whole query is looked at first; the pictures found inside it (``boxes``, from
    ``regions.picture_boxes``) only if that gave no image with ``enough`` agreement, or
    when there are several of them (a collage shows several known pictures). Best first.
    A match with a hole of ``max_hole`` cells or more (``Thresholds.max_hole``) is not
    shown, so any match without one is kept before it.
    """
    query = query or _Query(grey_pixels(image), None)
    best: dict[int, LocalMatch] = {}
    agreeing: dict[int, list[int]] = {}  # video → its frames that agree enough
    for number, box in enumerate([None, *boxes]):
        if len(boxes) < 2 and any(m.evidence.agreement >= enough for m in best.values()):
            break
        keypoints = extract(image, box)
        unvoting = snapshot.negatives.unvoting(keypoints.descriptors)
        candidates = snapshot.features.search(keypoints, min_inliers, unvoting=unvoting)
        tried: dict[int, int] = {}
        for candidate in _distinct_candidates(candidates):
            stored = snapshot.pictures(candidate.image_id)
            if stored is None:
                continue
            if stored.sequence is not None:
                tried[stored.sequence] = tried.get(stored.sequence, 0) + 1
                if tried[stored.sequence] > PER_VIDEO:
                    continue  # frames of one shot: the best few by points are enough
            shared = _shared(snapshot, candidate.image_id)
            evidence = query.compare(stored, candidate.homography, stored.content, shared)
            match = LocalMatch(
                candidate.entry_id,
                candidate.image_id,
                candidate.inliers,
                evidence,
                "whole" if box is None else f"picture-{number}",
                stored.sequence,
            )
            if stored.sequence is not None and evidence.agreement >= enough:
                agreeing.setdefault(stored.sequence, []).append(candidate.image_id)
            kept = best.get(match.entry_id)
            size = query.grey.shape[0] * query.grey.shape[1]
            if kept is None or _closer(match, kept, size, enough, max_hole):
                best[match.entry_id] = match  # one per entry, as stage 1 reports
    found = [
        replace(m, alike=tuple(i for i in agreeing.get(m.sequence, []) if i != m.image_id))
        if m.sequence is not None
        else m
        for m in best.values()
    ]
    return sorted(found, key=lambda m: (-m.evidence.agreement, -m.inliers))


#: Frames of one video whose pixels stage 2 compares, best by points first: a video holds
#: many frames of each shot, and all of them fit a screenshot of it.
PER_VIDEO = 4


def _closer(
    match: LocalMatch, kept: LocalMatch, query_area: int, enough: float, max_hole: int | None
) -> bool:
    """Whether ``match`` shows the query better than ``kept``, an image of the same entry:
    one that agrees ``enough`` to confirm without a hole first, then the pixels, then
    the points. (The whole of a collage fits a known panel's picture with a few points
    that agree but leave a hole where the next panel starts; the panel alone fits it
    with many and no hole.)

    Between frames of one video the pixels do not decide: every frame of a shot agrees
    with a screenshot of it. There the frame that shows the query most fully wins (a
    frame further into a zoom covers less of the screenshot, one further out is covered
    less by it), which is the frame nearest in time."""
    a, b = match.evidence, kept.evidence

    def usable(e: Evidence) -> bool:
        return e.agreement >= enough and (max_hole is None or e.largest_hole < max_hole)

    if usable(a) != usable(b):
        return usable(a)
    if match.sequence is not None and match.sequence == kept.sequence:
        return _fullness(a, query_area) > _fullness(b, query_area)
    return (a.agreement, match.inliers) > (b.agreement, kept.inliers)


def _fullness(evidence: Evidence, query_area: int) -> float:
    explained = min(1.0, area(evidence.query_box) / max(1, query_area))
    return evidence.agreement * evidence.coverage * explained


def verdict(found: list[Found]) -> str:
    """What a reader is told: a confirmed match, an unconfirmed one, or nothing."""
    if not found:
        return "no_match"
    return "match" if found[0].confirmed else "possible_match"


def find_hash(code: bytes, snapshot: Snapshot, th: Thresholds) -> list[Found]:
    """A hash sent without its image: no pixels to check, so the hash decides alone."""
    return [
        Found(
            hit.entry_id,
            hit.image_id,
            hit.distance <= th.match,
            "pdq",
            f"original/{hit.reference_variant}",
            round(1 - hit.distance / 256, 4),
            distance=hit.distance,
        )
        for hit in snapshot.hashes.search([code], th.possible)
    ]


def _from_hit(
    hit: Hit,
    names: list[str],
    regions: dict[str, Box],
    query: _Query,
    snapshot: Snapshot,
    th: Thresholds,
) -> Found | None:
    """A near hash, checked on the pixels of the regions it says are alike."""
    name = names[hit.query]
    region, _, turn = name.rpartition("+")
    found = Found(
        entry_id=hit.entry_id,
        image_id=hit.image_id,
        confirmed=hit.distance <= th.match,
        method="pdq",
        variant=f"{name}/{hit.reference_variant}",
        similarity=round(1 - hit.distance / 256, 4),
        distance=hit.distance,
    )
    stored = snapshot.pictures(hit.image_id)
    query_box = regions.get(region or "full")
    if stored is None or query_box is None:
        return found  # nothing to look at (an image stored before its work picture was)
    reference_box = reference_window(hit.reference_variant, stored.content, stored.trimmed)
    homography = hash_homography(query_box, turn, reference_box)
    shared = _shared(snapshot, hit.image_id)
    evidence = query.compare(stored, homography, reference_box, shared)
    if not _shown(evidence, th):
        return None  # the hashes are near, the pictures are not: a shared frame or layout
    return replace(
        found,
        confirmed=found.confirmed and evidence.agreement >= th.hash_agreement,
        agreement=evidence.agreement,
        coverage=evidence.coverage,
        query_box=evidence.query_box,
        reference_box=evidence.reference_box,
        shown_at=evidence.shown_at,
        evidence=evidence,
        sequence=stored.sequence,
    )


#: A stored picture whose keypoints are at least this share material shown over pictures
#: (the negative bank's overlays, frames, templates) is mostly that material (a lock
#: screen: its clock and notifications over a smooth wallpaper): the cells around that
#: material are left out, not just the cells at it (``agreement.Shared``).
MOSTLY_DECLARED = 0.3


def _shared(snapshot: Snapshot, image_id: int) -> Shared:
    """Where a stored picture shows what is not evidence: keypoints the bank holds in
    many entries, and the negative bank's material (what moderators declared)."""
    common = snapshot.features.common_points(image_id)
    if snapshot.negatives.material is None:
        return Shared(common)
    keypoints = snapshot.features.keypoints_of(image_id)
    declared = snapshot.negatives.shared_points(image_id, keypoints)
    if shown_over_share(snapshot.negatives, image_id, keypoints) < MOSTLY_DECLARED:
        # An ordinary picture, with a few keypoints that look like a logo or a frame, or
        # a burst's frame much like its lookalike (a picture of its own, not an overlay).
        return Shared(np.vstack([common, declared]))
    return Shared(common, declared)


class _Query:
    """The query's grey pixels, and its colour at the same size, decoded when first needed."""

    def __init__(self, grey: np.ndarray, chroma: Callable[[], np.ndarray | None] | None) -> None:
        self.grey = grey
        self._chroma = chroma
        self._done = chroma is None
        self._value: np.ndarray | None = None

    def chroma_at(self) -> np.ndarray | None:
        if not self._done:
            self._value, self._done = self._chroma(), True  # type: ignore[misc]
        if self._value is None or self._value.shape[:2] == self.grey.shape:
            return self._value
        size = (self.grey.shape[1], self.grey.shape[0])
        return cv2.resize(self._value, size, interpolation=cv2.INTER_LINEAR)

    def compare(
        self, stored: StoredPicture, homography: np.ndarray, region: Box, shared: Shared
    ) -> Evidence:
        colour = self.chroma_at() if stored.chroma is not None else None
        return compare(self.grey, stored.grey, homography, region, colour, stored.chroma, shared)


def _shown(evidence: Evidence, th: Thresholds) -> bool:
    """Whether the pixels allow showing the candidate at all (confirmed or not)."""
    return evidence.agreement >= th.possible_agreement and evidence.largest_hole < th.max_hole


def _confirmed(m: LocalMatch, th: Thresholds) -> bool:
    return m.inliers >= (th.min_inliers or 0) and m.evidence.agreement >= th.min_agreement


#: A near hash is distinctive when the next entry is at least twice as far and this
#: many bits further; stage-2 evidence when the next entry agrees this much less.
HASH_MARGIN = 8
AGREEMENT_MARGIN = 0.15
INLIER_RATIO = 2  # an entry with half the inliers of another's still rivals it


def _distinct_hits(hits: list[Hit], names: list[str]) -> list[Hit]:
    """Near hashes that no other entry rivals on the same region of the query.

    Judged on the hashes alone, before any pixels are looked at: when several known
    pictures are about as near, what the query shares with them is what they share with
    each other (an interface, a layout), whatever the pixel check would say of one.
    """

    def region(hit: Hit) -> str:
        name = names[hit.query]
        part = name.rsplit("+", 1)[0] if "+" in name else name
        return part if part.startswith("picture-") else "whole"

    def rivalled(hit: Hit) -> bool:
        return any(
            other.entry_id != hit.entry_id
            and region(other) == region(hit)
            and other.distance < max(2 * hit.distance, hit.distance + HASH_MARGIN)
            for other in hits
        )

    return [hit for hit in hits if not rivalled(hit)]


def _distinct_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """Stage 2's counterpart of ``_distinct_hits``: a candidate whose keypoints another
    entry's image fits nearly as well (half as many inliers, or more) is not evidence
    of one picture."""
    return [
        c
        for c in candidates
        if not any(
            o.entry_id != c.entry_id and o.inliers * INLIER_RATIO >= c.inliers for o in candidates
        )
    ]


def _distinct(found: list[Found | None]) -> list[Found | None]:
    """Drop matches that another entry rivals on the same region of the query: neither
    is evidence of one picture, and an unconfirmed "possible match" would still point a
    reader at a known fake the query only shares an interface or a layout with.

    Regions: the query as published (whole or trimmed) or one picture found inside it;
    what two regions match is independent (a collage shows several known pictures).
    """
    by_region: dict[str, list[Found]] = {}
    for f in found:
        if f is not None:
            by_region.setdefault(_region(f), []).append(f)
    rivalled: set[int] = set()
    for group in by_region.values():
        for f in group:
            for other in group:
                if other.entry_id != f.entry_id and _rivals(other, f):
                    rivalled.add(id(f))
    return [f for f in found if f is not None and id(f) not in rivalled]


def _region(f: Found) -> str:
    query = f.variant.split("/", 1)[0]
    region = query.rsplit("+", 1)[0] if "+" in query else query
    return region if region.startswith("picture-") else "whole"


def _rivals(other: Found, f: Found) -> bool:
    """Is ``other`` about as strong evidence as ``f`` for the same region?"""
    if f.distance is not None and other.distance is not None:
        return other.distance < max(2 * f.distance, f.distance + HASH_MARGIN)
    if f.agreement is not None and other.agreement is not None:
        return other.agreement > f.agreement - AGREEMENT_MARGIN
    return False


def _best(found: list[Found | None]) -> list[Found]:
    """One result per entry: confirmed over unconfirmed, then the stronger evidence.

    Between confirmed frames of one video, the one stage 2 chose (it names the frame
    that shows the query most fully) is kept, and the others join its agreeing frames.
    """
    best: dict[int, Found] = {}
    for f in found:
        if f is None:
            continue
        kept = best.get(f.entry_id)
        if kept is None:
            best[f.entry_id] = f
        elif f.confirmed and kept.confirmed and _same_video(f, kept):
            best[f.entry_id] = _frames_together(f, kept)
        elif _strength(f) > _strength(kept):
            best[f.entry_id] = f
    return list(best.values())


def _same_video(a: Found, b: Found) -> bool:
    return a.sequence is not None and a.sequence == b.sequence


def _frames_together(a: Found, b: Found) -> Found:
    """Two confirmed frames of one video as one match (``_best``): stage 2's first."""

    def rank(f: Found) -> tuple[bool, tuple[bool, float, float]]:
        return f.inliers is not None, _strength(f)

    first, other = (a, b) if rank(a) > rank(b) else (b, a)
    frames = {*first.alike_frames, *other.alike_frames, other.image_id} - {first.image_id}
    return replace(first, alike_frames=tuple(sorted(frames)))


def _strength(f: Found) -> tuple[bool, float, float]:
    return f.confirmed, f.agreement if f.agreement is not None else 1.0, f.similarity


def _ordered(found: list[Found]) -> list[Found]:
    """Confirmed first, the largest matched region of the query first, then the closest."""
    return sorted(
        found,
        key=lambda f: (
            not f.confirmed,
            -area(f.query_box) if f.query_box else 0,
            -f.similarity,
        ),
    )
