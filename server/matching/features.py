"""Stage 2: local features (ORB) with geometric verification, for crops and screenshots.

Global hashes describe the whole picture, so a 50 % window of it or a screenshot
with the picture inside is a different "whole". Local features survive that: ORB
keypoints of the query are looked up among all stored keypoints (a FAISS binary
index: flat for a small bank, IVF with a stored ``Quantizer`` beyond), and images
that collect enough votes are verified by fitting a homography (MAGSAC++). What
this module returns is geometric evidence only; ``agreement.py`` then checks the
pixels, and ``matcher.py`` decides (thresholds from bench/accuracy).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from PIL import Image

from .decode import WORK_SIDE, grey_pixels

N_FEATURES = 500
VOTE_DISTANCE = 50  # bits: a query descriptor this close to a stored one votes for its image
NEIGHBOURS = 4
MIN_VOTES = 12  # no confirmed match in bench/accuracy had fewer than 15 votes
CANDIDATES = 5
RATIO = 0.8  # Lowe's ratio test inside one (query, candidate) pair
RANSAC_PIXELS = 5.0
MIN_GOOD = 8  # ratio-test matches needed before a homography is fitted
MIN_SIDE = 32  # pixels; thinner pictures (or boxes) get no keypoints
#: A query keypoint whose near neighbours (within COMMON_DISTANCE bits) belong to this many
#: different entries is what pictures share (a player's controls, a post's chrome, a
#: channel logo), not evidence of one picture: it gets no vote. Known copies of one
#: picture sit in one entry, so their keypoints keep theirs.
COMMON_ENTRIES = 3
COMMON_DISTANCE = 40
IVF_ABOVE = 50_000  # descriptors (~100 images); above, an IVF index (lists from a quantizer)
QUANTIZER_LISTS = 16_384  # lists of a stored quantizer: 100 k images, ~2,700 keypoints each
QUANTIZER_PROBES = 8  # lists searched per query keypoint (bench/speed/stage2.py)
MAJORITY_ROUNDS = 6  # centroid moves when training (bench/speed/stage2.py --rounds)
MAJORITY_MIN_SHARE = 8  # descriptors per list in the sample before centroids are moved

# One thread each: gunicorn runs one worker per core, and nested thread pools in
# OpenCV and FAISS oversubscribe the cores (measured: p90 grew from ~20 to ~380 ms).
cv2.setNumThreads(1)
faiss.omp_set_num_threads(1)
_log = logging.getLogger(__name__)

_orb = cv2.ORB_create(nfeatures=N_FEATURES)
_matcher = cv2.BFMatcher(cv2.NORM_HAMMING)


@dataclass(frozen=True)
class Features:
    xy: np.ndarray  # (n, 2) float32 keypoint positions
    descriptors: np.ndarray  # (n, 32) uint8 ORB descriptors
    #: Stored images only: each descriptor's list under the store's current quantizer.
    lists: np.ndarray | None = None

    def to_bytes(self) -> tuple[bytes, bytes]:
        return self.xy.astype(np.float32).tobytes(), self.descriptors.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, xy: bytes, descriptors: bytes, lists: bytes | None = None) -> Features:
        return cls(
            np.frombuffer(xy, dtype=np.float32).reshape(-1, 2),
            np.frombuffer(descriptors, dtype=np.uint8).reshape(-1, 32),
            None if lists is None else np.frombuffer(lists, dtype=np.uint16),
        )

    def __len__(self) -> int:
        return len(self.descriptors)

    def subset(self, rows: np.ndarray) -> Features:
        """Some of a query's keypoints (queries have no list numbers)."""
        return Features(self.xy[rows], self.descriptors[rows])


def extract(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> Features:
    """ORB keypoints of the work image, or of one box of it (a picture in a screenshot).

    A picture smaller than the work size (a box, or a small upload) is enlarged to it
    first: ORB ignores a 31 px border and finds few corners in a couple of hundred
    pixels, so a small copy would yield far fewer keypoints than the stored picture.
    Positions are given in the image.
    """
    grey = grey_pixels(image)
    left, top = 0, 0
    if box is not None:
        left, top = box[0], box[1]
        grey = grey[top : box[3], left : box[2]]
    if min(grey.shape) < MIN_SIDE:
        # ORB's pyramid shrinks a sliver to nothing and OpenCV asserts (a 100,000 x 1
        # upload did); a picture this thin has no corners worth matching anyway.
        return _no_features()
    scale = max(1.0, WORK_SIDE / max(grey.shape))
    if scale > 1:
        # OpenCV's bilinear, not Pillow's: the same pixels to within one grey level, in
        # a fifth of the time (0.18 against 0.96 ms for a 306 px check, BENCHMARKS.md).
        size = (round(grey.shape[1] * scale), round(grey.shape[0] * scale))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
    keypoints, descriptors = _orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return _no_features()
    xy = np.array([k.pt for k in keypoints], dtype=np.float32) / scale + (left, top)
    return Features(xy.astype(np.float32), descriptors)


def _no_features() -> Features:
    return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))


@dataclass(frozen=True)
class Quantizer:
    """Coarse quantizer of the descriptor index, trained once and kept in the store.

    Training IVF lists in every worker at every reload (what this project did before)
    costs k-means over a sample each time, and assigning 44 M stored descriptors to
    their lists takes minutes. With a stored quantizer each image's list numbers are
    computed once, when it is stored, and a reload only files them.
    """

    id: int
    centroids: np.ndarray  # (lists, 32) uint8

    @staticmethod
    def train(
        sample: np.ndarray, lists: int | None = None, rounds: int = MAJORITY_ROUNDS
    ) -> np.ndarray:
        """Centroids: ``lists`` distinct descriptors drawn from the bank (seeded), then
        moved to the bitwise majority of their lists for a few rounds (``_majority``)
        when the sample has enough descriptors per list to say where a list's middle is.

        Not FAISS's float k-means: over thousands of lists it takes minutes, and with
        5,000 stored images sampled centroids found as many copies as exact search
        (bench/speed/stage2.py --baselines). What sampling gets wrong is balance:
        common patterns (edges, letters) crowd a few lists, and a query's keypoints,
        being common too, probe exactly those; at 100,000 images the majority rounds
        cut the descriptors scanned per probe by a quarter (BENCHMARKS.md).
        """
        lists = lists or QUANTIZER_LISTS
        distinct = np.unique(np.ascontiguousarray(sample, dtype=np.uint8), axis=0)
        if len(distinct) < lists:
            raise ValueError(f"need {lists} distinct descriptors to train, have {len(distinct)}")
        rows = np.random.default_rng(0).choice(len(distinct), lists, replace=False)
        centroids = distinct[np.sort(rows)]
        if len(distinct) < MAJORITY_MIN_SHARE * lists:
            return centroids
        for _ in range(rounds):
            moved = _majority(centroids, distinct)
            if moved is None:
                break
            centroids = moved
        return centroids

    def assign(self, descriptors: np.ndarray) -> np.ndarray:
        """The list number of each descriptor (nearest centroid), as uint16."""
        if not len(descriptors):
            return np.zeros(0, np.uint16)
        _, nearest = self.flat.search(np.ascontiguousarray(descriptors, dtype=np.uint8), 1)
        return nearest[:, 0].astype(np.uint16)

    @functools.cached_property
    def flat(self) -> faiss.IndexBinaryFlat:
        """The centroids, searchable (built once per quantizer, not per image filed)."""
        flat = faiss.IndexBinaryFlat(256)
        flat.add(np.ascontiguousarray(self.centroids, dtype=np.uint8))
        return flat


def _majority(centroids: np.ndarray, sample: np.ndarray) -> np.ndarray | None:
    """One round of binary k-means ("k-majority"): each centroid becomes the bitwise
    majority of the sample descriptors nearest to it.

    A centroid that would land on another one keeps its place, since a list number
    must name one centroid; None if the centroids still collide (no round then).
    """
    owner = Quantizer(0, centroids).assign(sample)
    counts = np.bincount(owner, minlength=len(centroids))
    filled = np.flatnonzero(counts)
    starts = (np.cumsum(counts) - counts)[filled]
    bits = np.unpackbits(sample[np.argsort(owner, kind="stable")], axis=1)
    ones = np.add.reduceat(bits, starts, axis=0, dtype=np.int32)
    moved = centroids.copy()
    moved[filled] = np.packbits(ones * 2 > counts[filled, None], axis=1)
    _, first = np.unique(moved, axis=0, return_index=True)
    again = np.ones(len(moved), bool)
    again[first] = False
    moved[again] = centroids[again]
    return moved if len(np.unique(moved, axis=0)) == len(moved) else None


@dataclass(frozen=True)
class Candidate:
    """A stored image whose keypoints fit the query's under one plausible homography."""

    entry_id: int
    image_id: int
    inliers: int
    homography: np.ndarray  # stored work-picture pixels -> query work-picture pixels


class FeatureIndex:
    """All stored keypoints of published images, searchable by descriptor."""

    def __init__(
        self,
        images: list[tuple[int, int, Features]],
        quantizer: Quantizer | None = None,
        keypoints: Callable[[int], Features | None] | None = None,
    ) -> None:
        """With a stored ``quantizer``, lists come from ``Features.lists``.

        Images without list numbers (stored before the quantizer) are assigned here.
        ``keypoints`` reads one stored image's keypoints back for verification; given
        it, the index keeps only what voting needs (at 100,000 images that halves a
        worker's memory, BENCHMARKS.md), else it keeps every image's keypoints.
        """
        kept = [item for item in images if len(item[2]) >= MIN_VOTES]
        counts = [len(f) for _, _, f in kept]
        self._owner = np.repeat(np.arange(len(kept)), counts).astype(np.int32)
        self._ids = [(entry_id, image_id) for entry_id, image_id, _ in kept]
        self._entry_of = np.fromiter((entry for entry, _, _ in kept), np.int64, len(kept))
        self._remembered_common = functools.lru_cache(maxsize=512)(self._common_points)
        self._pinned_common: dict[int, np.ndarray] = {}
        in_memory = {image_id: f for _, image_id, f in kept} if keypoints is None else {}
        self._keypoints: Callable[[int], Features | None] = keypoints or in_memory.get
        self._index: faiss.IndexBinary | None = None
        if not counts:
            return
        descriptors = np.ascontiguousarray(np.vstack([f.descriptors for _, _, f in kept]))
        if quantizer is None and len(descriptors) > IVF_ABOVE:
            # Only a bank filled before quantizers were stored, with nothing added
            # since (the store trains one as the bank passes IVF_ABOVE): sample one here.
            _log.warning(
                "%d stored descriptors and no stored quantizer; every reload samples one. "
                "Run `flask --app server train-quantizer` once.",
                len(descriptors),
            )
            quantizer = Quantizer(0, Quantizer.train(descriptors))
        if quantizer is not None:
            self._index = _preassigned_ivf(kept, descriptors, quantizer)
        else:
            self._index = faiss.IndexBinaryFlat(256)
            self._index.add(descriptors)

    def __len__(self) -> int:
        return len(self._ids)

    def images_of(self, entries: frozenset[int]) -> np.ndarray:
        """Which of the indexed images belong to ``entries`` (a mask for ``search``)."""
        return np.fromiter((entry in entries for entry, _ in self._ids), bool, len(self._ids))

    def search(
        self,
        query: Features,
        min_inliers: int,
        *,
        all_keypoints: bool = False,
        muted: np.ndarray | None = None,
        unvoting: np.ndarray | None = None,
    ) -> list[Candidate]:
        """Images whose keypoints fit the query's under one homography, most inliers first.

        ``all_keypoints`` matches every query keypoint against each candidate, not only
        those that voted for it: slower, for offline de-duplication (bench corpus).
        Images ``muted`` (a mask from ``images_of``) get no votes: their entries changed
        since this index was built, and a newer index holds them (``index.py``).
        Query keypoints ``unvoting`` (the negative bank's material) vote for nothing.
        """
        if self._index is None or len(query) < MIN_VOTES:
            return []
        distances, rows = self._index.search(np.ascontiguousarray(query.descriptors), NEIGHBOURS)
        close = (distances <= VOTE_DISTANCE) & (rows >= 0)
        close &= ~self._common(distances, rows)[:, None]
        if unvoting is not None:
            close &= ~unvoting[:, None]
        # One vote per (query keypoint, image), as (image, keypoint) pairs in one int64
        # each: np.unique over rows of a 2-column array sorts structured records, slower.
        pairs = np.unique(
            self._owner[rows[close]].astype(np.int64) * len(query) + np.nonzero(close)[0]
        )
        if not len(pairs):
            return []
        owners, voting = np.divmod(pairs, len(query))
        votes = np.bincount(owners, minlength=len(self._ids))
        if muted is not None:
            votes[muted] = 0
        ranked = [i for i in np.argsort(-votes)[:CANDIDATES] if votes[i] >= MIN_VOTES]
        found = []
        for i in ranked:
            entry_id, image_id = self._ids[i]
            stored = self._keypoints(image_id)
            if stored is None:  # removed from the store since this index was built
                continue
            # Only the query keypoints that voted for this image are matched against it:
            # the rest had no descriptor of it among their nearest, and matching all 500
            # cost most of stage 2 for uploads that match nothing.
            voters = voting[owners == i]
            inliers, homography = verify(query if all_keypoints else query.subset(voters), stored)
            if homography is not None and inliers >= min_inliers:
                found.append(Candidate(entry_id, image_id, inliers, homography))
        return sorted(found, key=lambda c: -c.inliers)

    def keypoints_of(self, image_id: int) -> Features | None:
        """A stored image's keypoints, read back (from memory or the store)."""
        return self._keypoints(image_id)

    def common_points(self, image_id: int) -> np.ndarray:
        """``_common_points``: worked out ahead for frames of videos (``pin_common_points``),
        else remembered for the last 512 images asked about."""
        pinned = self._pinned_common.get(image_id)
        return pinned if pinned is not None else self._remembered_common(image_id)

    def pin_common_points(self, images: list[tuple[int, Features]]) -> None:
        """Work out and keep the common points of ``images`` (frames of videos) ahead of
        any check, on a background thread after each load.

        A check compares up to ``matcher.PER_VIDEO`` frames of a shot, and each first
        look at a stored picture costs ~12 ms for its common points: without this, a
        still matched to a frame paid that four times where one matched to a photo pays
        it once (BENCHMARKS.md, "Videos as origins").
        """
        for image_id, features in images:
            if image_id not in self._pinned_common:
                self._pinned_common[image_id] = self._common_of(features)

    def _common_points(self, image_id: int) -> np.ndarray:
        return self._common_of(self._keypoints(image_id))

    def _common_of(self, stored: Features | None) -> np.ndarray:
        """Where a stored image's common keypoints are (what it shares with pictures of
        three or more entries: an interface, a frame, a logo), in its work picture.

        The pixel check leaves those places out, so that a query agreeing with the
        shared part of a stored picture is not taken for a copy of the picture itself.
        """
        if self._index is None or stored is None or not len(stored):
            return np.zeros((0, 2), np.float32)
        descriptors = np.ascontiguousarray(stored.descriptors)
        distances, rows = self._index.search(descriptors, NEIGHBOURS + 1)
        return stored.xy[self._common(distances, rows)]

    def _common(self, distances: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Which query keypoints are common material: their near neighbours span
        ``COMMON_ENTRIES`` or more entries."""
        near = (distances <= COMMON_DISTANCE) & (rows >= 0)
        entries = np.where(near, self._entry_of[self._owner[np.maximum(rows, 0)]], -1)
        entries.sort(axis=1)
        distinct = (entries[:, 1:] != entries[:, :-1]) & (entries[:, 1:] >= 0)
        return distinct.sum(axis=1) + (entries[:, 0] >= 0) >= COMMON_ENTRIES


def _preassigned_ivf(
    images: list[tuple[int, int, Features]], descriptors: np.ndarray, quantizer: Quantizer
) -> faiss.IndexBinaryIVF:
    """An IVF index over ``descriptors`` whose lists come from the store, not k-means."""
    assigned = []
    for _, _, features in images:
        known = features.lists is not None and len(features.lists) == len(features)
        assigned.append(features.lists if known else quantizer.assign(features.descriptors))
    index = faiss.IndexBinaryIVF(quantizer.flat, 256, len(quantizer.centroids))
    index.is_trained = True
    index.nprobe = QUANTIZER_PROBES
    numbers = np.concatenate(assigned).astype(np.int64)
    ids = np.arange(len(descriptors), dtype=np.int64)
    index.add_core(
        len(descriptors), faiss.swig_ptr(descriptors), faiss.swig_ptr(ids), faiss.swig_ptr(numbers)
    )
    return index


def verify(query: Features, stored: Features) -> tuple[int, np.ndarray | None]:
    """How many matching points one homography explains, and that homography.

    (0, None) when there are too few matches or no plausible homography.
    """
    pairs = _matcher.knnMatch(query.descriptors, stored.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_GOOD:
        return 0, None
    src = stored.xy[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    dst = query.xy[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    # MAGSAC++: the same inliers as plain RANSAC on bench pairs, and 25x cheaper when
    # there is nothing to find (plain RANSAC runs all its 2,000 iterations then).
    homography, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, RANSAC_PIXELS)
    if homography is None or not _plausible(homography):
        return 0, None
    return int(mask.sum()), homography


def _plausible(homography: np.ndarray) -> bool:
    """Reject mirror images, collapses and wild perspective: copies are scaled and cropped."""
    det = float(np.linalg.det(homography[:2, :2]))
    perspective = float(np.abs(homography[2, :2]).max())
    return 0.01 < det < 100 and perspective < 0.002
