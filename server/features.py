"""Stage 2: local features (ORB) with geometric verification, for crops and screenshots.

Global hashes describe the whole picture, so a 50 % window of it or a screenshot
with the picture inside is a different "whole". Local features survive that: ORB
keypoints of the query are looked up among all stored keypoints (a FAISS binary
index), images that collect enough votes are verified by fitting a homography with
RANSAC, and only a geometrically consistent set of matching points counts. Stage 2
runs only when stage 1 found no confirmed match, and its threshold comes from
bench/accuracy (precision first: a wrong "known fake" label is the worst outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from PIL import Image

N_FEATURES = 500
VOTE_DISTANCE = 50  # bits: a query descriptor this close to a stored one votes for its image
NEIGHBOURS = 4
MIN_VOTES = 10  # bench: 64 bits / 6 votes verified more images for the same recall
CANDIDATES = 5
RATIO = 0.8  # Lowe's ratio test inside one (query, candidate) pair
RANSAC_PIXELS = 5.0
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


def extract(image: Image.Image) -> Features:
    """ORB keypoints of the work image (the same <= 512 px picture the hashes use)."""
    grey = np.asarray(image.convert("L"))
    keypoints, descriptors = _orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    return Features(np.array([k.pt for k in keypoints], dtype=np.float32), descriptors)


@dataclass(frozen=True)
class Verified:
    entry_id: int
    image_id: int
    inliers: int
    share: float  # inliers / query keypoints


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

    def search(self, query: Features, min_inliers: int) -> list[Verified]:
        """Images whose keypoints fit the query's under one homography, best first."""
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
            inliers = verify(query, stored)
            if inliers >= min_inliers:
                found.append(Verified(entry_id, image_id, inliers, round(inliers / len(query), 4)))
        return sorted(found, key=lambda v: -v.inliers)


def verify(query: Features, stored: Features) -> int:
    """How many matching points one homography explains (0 if none is plausible)."""
    pairs = _matcher.knnMatch(query.descriptors, stored.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_VOTES:
        return 0
    src = stored.xy[[m.trainIdx for m in good]].reshape(-1, 1, 2)
    dst = query.xy[[m.queryIdx for m in good]].reshape(-1, 1, 2)
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PIXELS)
    if homography is None or not _plausible(homography):
        return 0
    return int(mask.sum())


def _plausible(homography: np.ndarray) -> bool:
    """Reject mirror images, collapses and wild perspective: copies are scaled and cropped."""
    det = float(np.linalg.det(homography[:2, :2]))
    perspective = float(np.abs(homography[2, :2]).max())
    return 0.01 < det < 100 and perspective < 0.002
