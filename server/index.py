"""In-memory Hamming-distance index over every stored PDQ hash.

A flat scan is exact and, for the sizes a known-fakes bank reaches (up to a few
million hashes), close to the memory-bandwidth floor; FAISS's binary flat index is
the fastest such scan measured here (bench/speed/index.py, BENCHMARKS.md). Each
worker holds its own copy and rebuilds it when the store's ``index_version``
moves; ``IndexHolder`` checks that version at most every ``poll_interval``
seconds, which bounds how stale any worker can be.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import faiss
import numpy as np

from .features import FeatureIndex, Features
from .store import IndexRows


@dataclass(frozen=True)
class Hit:
    entry_id: int
    image_id: int
    distance: int
    query: int  # index into the queries searched
    reference_variant: str


class HashIndex:
    """Exact radius search over 256-bit codes (FAISS flat binary index).

    All query hashes of a check go in one ``range_search`` call, so the table is
    streamed once per block for all of them.
    """

    def __init__(self, rows: IndexRows) -> None:
        self._flat = faiss.IndexBinaryFlat(256)
        if len(rows.codes):
            self._flat.add(np.ascontiguousarray(rows.codes, dtype=np.uint8))
        self._image_ids = rows.image_ids
        self._entry_ids = rows.entry_ids
        self._variants = rows.variants
        self.version = rows.version

    def __len__(self) -> int:
        return len(self._image_ids)

    def search(self, queries: list[bytes], radius: int) -> list[Hit]:
        """Best hit per entry within ``radius`` of any query, nearest first."""
        if len(self) == 0 or not queries:
            return []
        batch = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, 32)
        limits, distances, rows = self._flat.range_search(batch, radius + 1)  # "<", so +1
        if not len(rows):
            return []
        query_of = np.repeat(np.arange(len(queries)), np.diff(limits.astype(np.int64)))
        order = np.lexsort((rows, distances))  # nearest first, ties by row for stability
        entries = self._entry_ids[rows[order]]
        _, first = np.unique(entries, return_index=True)  # nearest hit of each entry
        hits = []
        for k in sorted(first):
            i = order[k]
            row = int(rows[i])
            hits.append(
                Hit(
                    int(self._entry_ids[row]),
                    int(self._image_ids[row]),
                    int(distances[i]),
                    int(query_of[i]),
                    self._variants[row],
                )
            )
        return hits


@dataclass(frozen=True)
class Snapshot:
    """Both stages' indexes, built from the same store version."""

    hashes: HashIndex
    features: FeatureIndex
    #: Greyscale work picture of a stored image, for stage 2's pixel check (None if absent).
    pictures: Callable[[int], np.ndarray | None]

    @property
    def version(self) -> int:
        return self.hashes.version


class IndexHolder:
    """A worker's current indexes, rebuilt when the store says they have changed."""

    def __init__(
        self,
        load_hashes: Callable[[], IndexRows],
        load_features: Callable[[], list[tuple[int, int, Features]]],
        load_picture: Callable[[int], np.ndarray | None],
        version: Callable[[], int],
        poll_interval: float,
    ) -> None:
        self._load_hashes = load_hashes
        self._load_features = load_features
        self._load_picture = load_picture
        self._version = version
        self._poll_interval = poll_interval
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0

    def current(self) -> Snapshot:
        """The indexes, at most ``poll_interval`` seconds behind the store."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked < self._poll_interval:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._version() != self._snapshot.version:
                # Hashes first: their rows carry the version, so a change landing in
                # between makes this snapshot look stale and it is simply rebuilt.
                hashes = HashIndex(self._load_hashes())
                features = FeatureIndex(self._load_features())
                self._snapshot = Snapshot(hashes, features, self._load_picture)
            self._checked = time.monotonic()
            return self._snapshot
