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

from .features import Features, Quantizer


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


@dataclass(frozen=True)
class FeatureRows:
    """Stage 2's stored keypoints, and the quantizer their list numbers refer to."""

    images: list[tuple[int, int, Features]]  # (entry id, image id, features)
    quantizer: Quantizer | None


class IndexSource(Protocol):
    """Where a worker's indexes come from: the store (``server.store.entries.SqlStore``)."""

    def index_version(self) -> int: ...
    def index_changes(self, after: int, limit: int) -> IndexChanges: ...
    def index_rows(self, entries: Collection[int] | None = None) -> IndexRows: ...
    def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows: ...
    def image_keypoints(self, image_id: int) -> Features | None: ...
