"""What a worker's indexes are built from, and the interface that supplies it.

The matching package never reads a database: the store implements ``IndexSource``
and hands over these plain columns, so matching can be benchmarked and tested on
banks that were never stored (bench/accuracy builds them in memory).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .decode import work_colour
from .features import Features, Quantizer
from .trim import band_box


@dataclass(frozen=True)
class StoredPicture:
    """A stored image as the pixel check needs it: its greyscale work picture, where its
    content is (without the frame it circulated in), and that content without flat bands
    (boxes in work-picture pixels)."""

    grey: np.ndarray
    content: tuple[int, int, int, int]
    trimmed: tuple[int, int, int, int]
    chroma: np.ndarray | None = None  # its colour (Cb, Cr), None for a grey picture
    text: str | None = None  # the words read in it, for pictures made of words (text.py)
    #: Frames of one video share a sequence: which of them a query shows is a finer
    #: question than which image of an entry (``matcher._closer``).
    sequence: int | None = None


def stored_picture(
    work_jpeg: bytes,
    regions: dict[str, list[int]] | None,
    text: str | None = None,
    sequence: int | None = None,
) -> StoredPicture:
    """A stored image for the pixel check; images stored before their regions were
    recorded (``flask reindex`` records them) count as all content."""
    grey, chroma = work_colour(work_jpeg)
    if regions is None:
        whole = (0, 0, grey.shape[1], grey.shape[0])
        return StoredPicture(grey, whole, band_box(grey), chroma, text, sequence)
    content, trimmed = (tuple(regions[k]) for k in ("content", "trimmed"))
    return StoredPicture(grey, content, trimmed, chroma, text, sequence)  # type: ignore[arg-type]


@dataclass(frozen=True)
class IndexRows:
    """Columns the in-memory hash index is built from (published entries only)."""

    codes: np.ndarray  # (n, 32) uint8
    image_ids: np.ndarray  # (n,) int64
    entry_ids: np.ndarray  # (n,) int64
    variants: list[str]
    version: int
    change: int = 0  # the last ``index_changes`` row these rows include


@dataclass(frozen=True)
class IndexChanges:
    """What changed in the indexes after a given change (``IndexSource.index_changes``)."""

    last: int  # the newest change
    #: Entries whose images or status changed; None when everything did (a reindex).
    entries: frozenset[int] | None
    negatives: bool = False  # whether the negative bank changed


@dataclass(frozen=True)
class FeatureRows:
    """Stage 2's stored keypoints, and the quantizer their list numbers refer to."""

    images: list[tuple[int, int, Features]]  # (entry id, image id, features)
    quantizer: Quantizer | None
    frames: frozenset[int] = frozenset()  # which of the images are frames of videos


@dataclass(frozen=True)
class NegativeImage:
    """One active item of the negative bank (``store.models.Negative``), as matching
    needs it: items with a picture are searched like entries, frames only by their
    keypoints."""

    id: int
    kind: str  # "lookalike", "overlay", "frame" or "template"
    hashes: list[tuple[str, bytes]]
    features: Features | None
    work_jpeg: bytes | None  # their pixels, for the pixel check (frames have none)
    regions: dict[str, list[int]] | None = None


class IndexSource(Protocol):
    """Where a worker's indexes come from: the store (``server.store.entries.SqlStore``)."""

    def index_version(self) -> int: ...
    def index_changes(self, after: int, limit: int) -> IndexChanges: ...
    def index_rows(self, entries: Collection[int] | None = None) -> IndexRows: ...
    def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows: ...
    def image_keypoints(self, image_id: int) -> Features | None: ...
    def negative_images(self) -> list[NegativeImage]: ...
