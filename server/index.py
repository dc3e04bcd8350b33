"""In-memory Hamming-distance index over every stored PDQ hash.

Up to ``MULTI_INDEX_ABOVE`` hashes the search is a flat scan: exact, and under a
millisecond (FAISS's binary flat index is the fastest scan measured here,
bench/speed/index.py). A scan reads every code, so at 10 M hashes it costs ~9 ms at
this machine's memory bandwidth; above the threshold a multi-index (``MultiIndex``)
reads only the codes that share a nearly equal 16-bit chunk with the query. Each
worker holds its own copy and rebuilds it when the store's ``index_version`` moves;
``IndexHolder`` checks that version at most every ``poll_interval`` seconds, which
bounds how stale any worker can be.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import faiss
import numpy as np

from .features import FeatureIndex, Features
from .store import FeatureRows, IndexRows

_log = logging.getLogger(__name__)
MULTI_INDEX_ABOVE = 2_000_000  # hashes; the flat scan is exact and ~0.8 ms at 1 M
TABLES = 7  # 16-bit chunks looked up; memory 4 B per hash per table after the first
_FLIP_ONE_BIT = np.array([0] + [1 << bit for bit in range(16)], dtype=np.int64)


@dataclass(frozen=True)
class Hit:
    entry_id: int
    image_id: int
    distance: int
    query: int  # index into the queries searched
    reference_variant: str


class MultiIndex:
    """Multi-index hashing over the first ``TABLES`` 16-bit chunks of each code.

    A stored code is a candidate when one of its chunks equals the query's, or differs
    by one bit, in the same place; candidates are then compared on all 256 bits. That
    finds every code within 13 bits, and (measured on random codes, where it does
    worst) 99 % at 20 bits, ~97 % at 31 and ~88 % at 40: approximate only where
    stage 1 is unsure anyway, and where stage 2 takes a second look (BENCHMARKS.md).
    Codes are kept once, sorted by their first chunk; every other table is a
    permutation (4 B per code) plus 65,537 bucket offsets.
    """

    def __init__(self, codes: np.ndarray) -> None:
        keys = self._keys(codes)
        self.order = np.argsort(keys[:, 0], kind="stable")  # rows of ``codes`` as stored here
        self._words = np.ascontiguousarray(codes[self.order]).view(np.uint64)
        keys = keys[self.order]
        self._offsets = [
            np.concatenate([[0], np.cumsum(np.bincount(keys[:, t], minlength=1 << 16))])
            for t in range(TABLES)
        ]
        self._tables = [None] + [
            np.argsort(keys[:, t], kind="stable").astype(np.uint32) for t in range(1, TABLES)
        ]

    @property
    def nbytes(self) -> int:
        tables = [t for t in self._tables if t is not None]
        return self._words.nbytes + sum(a.nbytes for a in [*self._offsets, *tables])

    @staticmethod
    def _keys(codes: np.ndarray) -> np.ndarray:
        """(n, TABLES) uint16 chunks; 16-bit keys let numpy's stable argsort use radix sort."""
        return np.ascontiguousarray(codes[:, : 2 * TABLES]).view(">u2").astype(np.uint16)

    def range_search(
        self, batch: np.ndarray, radius: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """FAISS's ``range_search`` result shape: limits, distances, rows (of ``order``)."""
        found_rows, found_distances = [], []
        for query, keys in zip(batch, self._keys(batch), strict=True):
            candidates = np.concatenate([self._bucket_rows(t, key) for t, key in enumerate(keys)])
            distances = np.bitwise_count(self._words[candidates] ^ query.view(np.uint64))
            distances = distances.sum(axis=1, dtype=np.int32)
            close = distances <= radius
            # A code can sit in several probed buckets; keep it once.
            near, first = np.unique(candidates[close], return_index=True)
            found_rows.append(near)
            found_distances.append(distances[close][first])
        limits = np.concatenate([[0], np.cumsum([len(r) for r in found_rows])])
        return limits, np.concatenate(found_distances), np.concatenate(found_rows)

    def _bucket_rows(self, table: int, key: int) -> np.ndarray:
        probes = int(key) ^ _FLIP_ONE_BIT
        starts = self._offsets[table][probes]
        lengths = self._offsets[table][probes + 1] - starts
        # All rows of the probed buckets, as one array: start of each bucket + position in it.
        rows = np.arange(lengths.sum()) + np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        order = self._tables[table]
        return rows if order is None else order[rows]


class HashIndex:
    """Radius search over 256-bit codes: flat and exact, or a multi-index when large.

    All query hashes of a check go in one call; the flat scan then streams the table
    once per block for all of them.
    """

    def __init__(self, rows: IndexRows, *, multi_index: bool | None = None) -> None:
        codes = np.ascontiguousarray(rows.codes, dtype=np.uint8).reshape(-1, 32)
        order = np.arange(len(codes))
        if multi_index is None:
            multi_index = len(codes) > MULTI_INDEX_ABOVE
        self._search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
        if multi_index and len(codes):
            multi = MultiIndex(codes)
            order, self._search, self._code_bytes = multi.order, multi.range_search, multi.nbytes
        else:
            flat = faiss.IndexBinaryFlat(256)
            if len(codes):
                flat.add(codes)
            self._search = lambda batch, radius: flat.range_search(batch, radius + 1)  # "<"
            self._code_bytes = codes.nbytes
        # Per hash, 4 B of image id and 1 B of variant; the entry comes from the image.
        self._image_ids = np.asarray(rows.image_ids)[order].astype(np.int32)
        self._variant_names = sorted(set(rows.variants))  # ~20 names ("full", "centre-90", ...)
        number = {name: i for i, name in enumerate(self._variant_names)}
        variants = np.fromiter((number[v] for v in rows.variants), np.uint8, len(rows.variants))
        self._variants = variants[order]
        self._images, first = np.unique(np.asarray(rows.image_ids), return_index=True)
        self._entry_of_image = np.asarray(rows.entry_ids)[first]

    def __len__(self) -> int:
        return len(self._image_ids)

    @property
    def nbytes(self) -> int:
        """Memory held for the search, for bench/speed/index.py."""
        parts = (self._image_ids, self._variants, self._images, self._entry_of_image)
        return self._code_bytes + sum(a.nbytes for a in parts)

    def search(self, queries: list[bytes], radius: int) -> list[Hit]:
        """Best hit per entry within ``radius`` of any query, nearest first."""
        if len(self) == 0 or not queries:
            return []
        batch = np.frombuffer(b"".join(queries), dtype=np.uint8).reshape(-1, 32)
        limits, distances, rows = self._search(batch, radius)
        if not len(rows):
            return []
        query_of = np.repeat(np.arange(len(queries)), np.diff(limits.astype(np.int64)))
        order = np.lexsort((rows, distances))  # nearest first, ties by row for stability
        image_ids = self._image_ids[rows[order]]
        entries = self._entry_of_image[np.searchsorted(self._images, image_ids)]
        _, first = np.unique(entries, return_index=True)  # nearest hit of each entry
        hits = []
        for k in sorted(first):
            i = order[k]
            row = int(rows[i])
            hits.append(
                Hit(
                    int(entries[k]),
                    int(self._image_ids[row]),
                    int(distances[i]),
                    int(query_of[i]),
                    self._variant_names[self._variants[row]],
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
    version: int = 0  # the store's index_version; part of every cached verdict's key
    indexed_version: int = 0  # the store's indexed_version when it was built


class IndexHolder:
    """A worker's current indexes, rebuilt when the store says they have changed.

    A rebuild that took under ``BACKGROUND_AFTER`` seconds last time runs in the
    request that notices the change, so a small bank answers with every change at
    once. A large bank (100,000 images take seconds to load) is rebuilt on a thread
    while checks keep using the previous snapshot, so no reader waits for it. When
    only text changed (``indexed_version`` did not move), no rebuild happens at all.
    """

    BACKGROUND_AFTER = 0.5

    def __init__(
        self,
        load_hashes: Callable[[], IndexRows],
        load_features: Callable[[], FeatureRows],
        load_picture: Callable[[int], np.ndarray | None],
        version: Callable[[], int],
        poll_interval: float,
        load_keypoints: Callable[[int], Features | None] | None = None,
        indexed_version: Callable[[], int] | None = None,
    ) -> None:
        self._load_hashes = load_hashes
        self._load_features = load_features
        self._load_picture = load_picture
        self._load_keypoints = load_keypoints
        self._indexed_version = indexed_version
        self._version = version
        self._poll_interval = poll_interval
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._build_seconds = 0.0
        self._rebuilding = False

    def current(self) -> Snapshot:
        """The indexes, at most ``poll_interval`` (plus one slow rebuild) behind the store."""
        snapshot = self._snapshot
        if snapshot is not None and time.monotonic() - self._checked < self._poll_interval:
            return snapshot
        with self._lock:
            self._checked = time.monotonic()
            if self._snapshot is None:
                self._snapshot = self._build()
            elif not self._rebuilding and (version := self._version()) != self._snapshot.version:
                if self._build_seconds < self.BACKGROUND_AFTER:
                    self._snapshot = self._refresh(self._snapshot, version)
                else:
                    self._rebuilding = True
                    args = (self._snapshot, version)
                    refresh = threading.Thread(
                        target=self._refresh_in_background, args=args, daemon=True
                    )
                    refresh.start()
            return self._snapshot

    def _refresh(self, snapshot: Snapshot, version: int) -> Snapshot:
        """The snapshot for ``version``: the same indexes when only text changed.

        An entry's claim, say, is in cached verdicts but not in the indexes; the new
        version alone keeps those verdicts from being served again.
        """
        if self._indexed_version is not None:
            if self._indexed_version() == snapshot.indexed_version:
                return replace(snapshot, version=version)
        return self._build()

    def _refresh_in_background(self, snapshot: Snapshot, version: int) -> None:
        try:
            self._snapshot = self._refresh(snapshot, version)  # one reference swap
        except Exception:  # keep serving the last good snapshot; the next poll retries
            _log.exception("refreshing the index in the background failed")
        finally:
            self._rebuilding = False

    def _build(self) -> Snapshot:
        started = time.monotonic()
        # The indexed version first, then the rows: a change landing in between makes it
        # look old, which costs at most one needless rebuild later, never a stale index.
        indexed = self._indexed_version() if self._indexed_version is not None else 0
        # Hashes before features: their rows carry the version, so a change landing in
        # between makes this snapshot look stale and it is simply rebuilt.
        rows = self._load_hashes()
        hashes = HashIndex(rows)
        stored = self._load_features()
        # Verification reads candidates' keypoints back (a cache per snapshot, so a
        # reindex is never answered from old keypoints) instead of holding them all.
        load = self._load_keypoints
        keypoints = functools.lru_cache(maxsize=512)(load) if load else None
        features = FeatureIndex(stored.images, stored.quantizer, keypoints)
        snapshot = Snapshot(hashes, features, self._load_picture, rows.version, indexed)
        self._build_seconds = time.monotonic() - started
        return snapshot
