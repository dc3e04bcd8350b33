"""Stage 2: local features (ORB) with geometric verification, for crops and screenshots.

Global hashes describe the whole picture, so a 50 % window of it or a screenshot
with the picture inside is a different "whole". Local features survive that: ORB
keypoints of the query are looked up among all stored keypoints (a FAISS binary
index), and images that collect enough votes are verified by fitting a homography
with RANSAC. What this module returns is geometric evidence only; ``agreement.py``
then checks the pixels, and ``matcher.py`` decides (thresholds from bench/accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from PIL import Image

from .decode import WORK_SIDE

N_FEATURES = 500
VOTE_DISTANCE = 50  # bits: a query descriptor this close to a stored one votes for its image
NEIGHBOURS = 4
MIN_VOTES = 12  # no confirmed match in bench/accuracy had fewer than 15 votes
CANDIDATES = 5
RATIO = 0.8  # Lowe's ratio test inside one (query, candidate) pair
RANSAC_PIXELS = 5.0
MIN_GOOD = 8  # ratio-test matches needed before a homography is fitted
IVF_ABOVE = 50_000  # descriptors; IVF halved stage 2 at 75 k with the same recall (bench)

# One thread each: gunicorn runs one worker per core, and nested thread pools in
# OpenCV and FAISS oversubscribe the cores (measured: p90 grew from ~20 to ~380 ms).
cv2.setNumThreads(1)
faiss.omp_set_num_threads(1)

_orb = cv2.ORB_create(nfeatures=N_FEATURES)
_matcher = cv2.BFMatcher(cv2.NORM_HAMMING)


@dataclass(frozen=True)
class Features:
    xy: np.ndarray  # (n, 2) float32 keypoint positions
    descriptors: np.ndarray  # (n, 32) uint8 ORB descriptors

    def to_bytes(self) -> tuple[bytes, bytes]:
        return self.xy.astype(np.float32).tobytes(), self.descriptors.astype(np.uint8).tobytes()

    @classmethod
    def from_bytes(cls, xy: bytes, descriptors: bytes) -> Features:
        return cls(
            np.frombuffer(xy, dtype=np.float32).reshape(-1, 2),
            np.frombuffer(descriptors, dtype=np.uint8).reshape(-1, 32),
        )

    def __len__(self) -> int:
        return len(self.descriptors)

    def subset(self, rows: np.ndarray) -> Features:
        return Features(self.xy[rows], self.descriptors[rows])


def extract(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> Features:
    """ORB keypoints of the work image, or of one box of it (a picture in a screenshot).

    A box is enlarged to the work size first, so that a small picture inside a page
    yields as many keypoints as a stored one; positions are given in the image.
    """
    scale, left, top = 1.0, 0, 0
    if box is not None:
        left, top = box[0], box[1]
        image = image.crop(box)
        scale = max(1.0, WORK_SIDE / max(image.size))
        if scale > 1:
            size = (round(image.width * scale), round(image.height * scale))
            image = image.resize(size, Image.Resampling.BILINEAR)
    grey = np.asarray(image.convert("L"))
    keypoints, descriptors = _orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    xy = np.array([k.pt for k in keypoints], dtype=np.float32) / scale + (left, top)
    return Features(xy.astype(np.float32), descriptors)


@dataclass(frozen=True)
class Candidate:
    """A stored image whose keypoints fit the query's under one plausible homography."""

    entry_id: int
    image_id: int
    inliers: int
    homography: np.ndarray  # stored work-picture pixels -> query work-picture pixels


class FeatureIndex:
    """All stored keypoints of published images, searchable by descriptor."""

    def __init__(self, images: list[tuple[int, int, Features]]) -> None:
        self._images = [item for item in images if len(item[2]) >= MIN_VOTES]
        counts = [len(f) for _, _, f in self._images]
        self._owner = np.repeat(np.arange(len(self._images)), counts).astype(np.int64)
        self._index: faiss.IndexBinary | None = None
        if not counts:
            return
        descriptors = np.ascontiguousarray(np.vstack([f.descriptors for _, _, f in self._images]))
        if len(descriptors) > IVF_ABOVE:
            lists = int(4 * np.sqrt(len(descriptors)))
            index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(256), 256, lists)
            sample = descriptors[
                np.random.default_rng(0).choice(
                    len(descriptors), min(len(descriptors), lists * 40), replace=False
                )
            ]
            index.train(sample)
            index.nprobe = 8
        else:
            index = faiss.IndexBinaryFlat(256)
        index.add(descriptors)
        self._index = index

    def __len__(self) -> int:
        return len(self._images)

    def search(
        self, query: Features, min_inliers: int, *, all_keypoints: bool = False
    ) -> list[Candidate]:
        """Images whose keypoints fit the query's under one homography, most inliers first.

        ``all_keypoints`` matches every query keypoint against each candidate, not only
        those that voted for it: slower, for offline de-duplication (bench corpus).
        """
        if self._index is None or len(query) < MIN_VOTES:
            return []
        distances, rows = self._index.search(np.ascontiguousarray(query.descriptors), NEIGHBOURS)
        close = (distances <= VOTE_DISTANCE) & (rows >= 0)
        pairs = np.unique(
            np.stack([np.nonzero(close)[0], self._owner[rows[close]]], axis=1), axis=0
        )
        if not len(pairs):
            return []
        votes = np.bincount(pairs[:, 1], minlength=len(self._images))
        ranked = [i for i in np.argsort(-votes)[:CANDIDATES] if votes[i] >= MIN_VOTES]
        found = []
        for i in ranked:
            entry_id, image_id, stored = self._images[i]
            # Only the query keypoints that voted for this image are matched against it:
            # the rest had no descriptor of it among their nearest, and matching all 500
            # cost most of stage 2 for uploads that match nothing.
            voters = pairs[pairs[:, 1] == i, 0]
            inliers, homography = verify(query if all_keypoints else query.subset(voters), stored)
            if homography is not None and inliers >= min_inliers:
                found.append(Candidate(entry_id, image_id, inliers, homography))
        return sorted(found, key=lambda c: -c.inliers)


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
