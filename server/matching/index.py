"""In-memory Hamming-distance index over every stored PDQ hash.

Up to ``MULTI_INDEX_ABOVE`` hashes the search is a flat scan: exact (FAISS's binary
flat index is the fastest scan measured here, bench/speed/index.py). A scan costs ~1 ns
per stored code and query, and a check searches 16 query hashes, so at 1 M hashes a
check would spend ~17 ms scanning; above the threshold a multi-index (``MultiIndex``)
reads only the codes that share a nearly equal 16-bit chunk with the query: 0.3 ms
per query at 1 M, 1.7 ms at 10 M. Each worker holds its own copy and refreshes it when
the store's ``index_version`` moves; ``IndexHolder`` checks that version at most every
``poll_interval`` seconds, which bounds how stale any worker can be. A refresh reloads
only the entries that changed and layers them over the indexes it has
(``LayeredHashes``, ``LayeredFeatures``).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

import faiss
import numpy as np

from .features import Candidate, FeatureIndex, Features
from .negatives import NO_NEGATIVES, NegativeBank, material_index
from .source import (
    FeatureRows,
    IndexRows,
    IndexSource,
    NegativeImage,
    StoredPicture,
    stored_picture,
)

_log = logging.getLogger(__name__)
#: Hashes (~40,000 images) above which the multi-index replaces the flat scan. A check's
#: 16 searches at 1 M hashes: flat 16.6 ms, multi-index 3.8 ms; what the multi-index
#: misses (31-48 bits away) stage 2 finds: on the accuracy benchmark stage 1 + 2 differs
#: from the flat scan on 5 of 25,092 queries (``run.py --multi-index``, BENCHMARKS.md).
#: Below this, its 1.8 MB of bucket offsets would take it over twice the raw codes' size.
MULTI_INDEX_ABOVE = 700_000
TABLES = 7  # 16-bit chunks looked up; memory 4 B per hash per table after the first
#: Entries a worker layers over its indexes before it rebuilds them from scratch.
MAX_LAYERED = 2_000
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
    worst) every code planted 20 bits away, 99 % at 31 and 88-92 % at 40: approximate
    only where stage 1 is unsure anyway, and where stage 2 takes a second look
    (BENCHMARKS.md). Codes are kept once, sorted by their first chunk; every other
    table is a permutation (4 B per code) plus 65,537 bucket offsets (4 B each).
    """

    def __init__(self, codes: np.ndarray) -> None:
        keys = self._keys(codes)
        self.order = np.argsort(keys[:, 0], kind="stable")  # rows of ``codes`` as stored here
        self._words = np.ascontiguousarray(codes[self.order]).view(np.uint64)
        keys = keys[self.order]
        counts = [np.bincount(keys[:, t], minlength=1 << 16) for t in range(TABLES)]
        self._offsets = [np.concatenate([[0], np.cumsum(c)]).astype(np.int32) for c in counts]
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

    def count_of(self, entries: Collection[int]) -> int:
        """How many of the hashes belong to ``entries``."""
        images = self._images[np.isin(self._entry_of_image, list(entries))]
        return int(np.isin(self._image_ids, images).sum())

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


class LayeredHashes:
    """A worker's hash index with some entries' rows replaced by their current ones.

    Rebuilding the index of 100,000 images took ~24 s per worker (BENCHMARKS.md), and a
    publish or a retraction changes one entry: the entries changed since the base was
    built are reloaded into a small index, and the base's hits on them are dropped.
    """

    def __init__(self, base: HashIndex, changed: frozenset[int], delta: HashIndex) -> None:
        self.base, self.changed, self.delta = base, changed, delta
        self._size = len(base) - base.count_of(changed) + len(delta)

    def __len__(self) -> int:
        return self._size

    def search(self, queries: list[bytes], radius: int) -> list[Hit]:
        """``HashIndex.search`` over both: the base for unchanged entries, the rest new."""
        hits = [h for h in self.base.search(queries, radius) if h.entry_id not in self.changed]
        return sorted(hits + self.delta.search(queries, radius), key=lambda h: h.distance)


class LayeredFeatures:
    """Stage 2's counterpart of ``LayeredHashes``: changed entries' images get no votes
    in the base index, and their current keypoints are searched in a small one."""

    def __init__(self, base: FeatureIndex, changed: frozenset[int], delta: FeatureIndex) -> None:
        self.base, self.changed, self.delta = base, changed, delta
        self._muted = base.images_of(changed)

    def __len__(self) -> int:
        return len(self.base) - int(self._muted.sum()) + len(self.delta)

    def common_points(self, image_id: int) -> np.ndarray:
        return self.base.common_points(image_id)

    def keypoints_of(self, image_id: int) -> Features | None:
        return self.delta.keypoints_of(image_id) or self.base.keypoints_of(image_id)

    def search(
        self,
        query: Features,
        min_inliers: int,
        *,
        all_keypoints: bool = False,
        unvoting: np.ndarray | None = None,
    ) -> list[Candidate]:
        """``FeatureIndex.search`` over both, most inliers first."""
        found = self.base.search(
            query, min_inliers, all_keypoints=all_keypoints, muted=self._muted, unvoting=unvoting
        )
        found += self.delta.search(
            query, min_inliers, all_keypoints=all_keypoints, unvoting=unvoting
        )
        return sorted(found, key=lambda c: -c.inliers)


@dataclass(frozen=True)
class Snapshot:
    """Both stages' indexes, built from the same store version."""

    hashes: HashIndex | LayeredHashes
    features: FeatureIndex | LayeredFeatures
    #: A stored image's work picture and content, for the pixel check (None if absent).
    pictures: Callable[[int], StoredPicture | None]
    version: int = 0  # the store's index_version; part of every cached verdict's key
    change: int = 0  # the last of the store's index changes the indexes include
    changed: frozenset[int] = frozenset()  # entries layered over the base indexes
    negatives: NegativeBank = NO_NEGATIVES  # what moderators said is not evidence


def negative_bank(items: Sequence[NegativeImage]) -> NegativeBank:
    """A worker's negative bank: every item's keypoints as material, and the items with
    pictures of their own (all but frames) as a bank of their own (ids are the items'
    ids, as entry and image ids)."""
    material = material_index([item.features for item in items if item.features is not None])
    shown_over = material_index(
        [item.features for item in items if item.features is not None and item.kind != "lookalike"]
    )
    lookalikes = [item for item in items if item.work_jpeg is not None]
    kinds = {item.id: item.kind for item in lookalikes}
    if not lookalikes:
        return NegativeBank(material, None, len(items), shown_over=shown_over)
    hashed = [(item.id, name, code) for item in lookalikes for name, code in item.hashes]
    ids = np.array([i for i, _, _ in hashed], dtype=np.int64)
    rows = IndexRows(
        np.stack([np.frombuffer(code, np.uint8) for _, _, code in hashed])
        if hashed
        else np.zeros((0, 32), np.uint8),
        ids,
        ids,
        [name for _, name, _ in hashed],
        0,
    )
    features = FeatureIndex([(i.id, i.id, i.features) for i in lookalikes if i.features])
    by_id = {item.id: item for item in lookalikes}

    @functools.lru_cache(maxsize=256)  # decoded when a check first compares with one
    def picture(item_id: int) -> StoredPicture | None:
        item = by_id.get(item_id)
        if item is None or item.work_jpeg is None:
            return None
        return stored_picture(item.work_jpeg, item.regions)

    bank = Snapshot(HashIndex(rows), features, picture)
    return NegativeBank(material, bank, len(items), kinds, shown_over=shown_over)


def _daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, daemon=True).start()


class IndexHolder:
    """A worker's current indexes, refreshed when the store says they have changed.

    When only text changed (no index change since the snapshot's), the indexes are
    kept. When some entries' images or statuses changed, just those entries are
    reloaded and layered over the indexes; past ``MAX_LAYERED`` of them, or after a
    reindex, everything is rebuilt. A refresh whose last full rebuild took under
    ``BACKGROUND_AFTER`` seconds runs in the request that notices the change, so a
    small bank answers with every change at once. A large bank (100,000 images take
    seconds to load) is refreshed on a thread while checks keep using the previous
    snapshot, so no reader waits for it.
    """

    BACKGROUND_AFTER = 0.5

    def __init__(
        self,
        source: IndexSource,
        load_picture: Callable[[int], StoredPicture | None],
        poll_interval: float,
        background: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        """``background`` runs a slow refresh off the request path (default: a daemon
        thread; under gevent the app passes a native thread of gevent's pool, since a
        greenlet would hold every connection of the worker while it builds)."""
        self._background = background or _daemon_thread
        self._source = source
        self._load_picture = load_picture
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
            elif not self._rebuilding and (version := self._poll()) != self._snapshot.version:
                if self._build_seconds < self.BACKGROUND_AFTER:
                    self._snapshot = self._refresh(self._snapshot, version)
                else:
                    self._rebuilding = True
                    snapshot = self._snapshot
                    self._background(lambda: self._refresh_in_background(snapshot, version))
            return self._snapshot

    def _poll(self) -> int:
        """The store's version; the snapshot's own when the store cannot say, so that a
        database outage leaves checks answered from what the worker already holds."""
        assert self._snapshot is not None
        try:
            return self._source.index_version()
        except Exception as exc:  # noqa: BLE001 - any store failure: keep serving
            _log.warning(
                "index version unavailable, serving version %s: %s", self._snapshot.version, exc
            )
            return self._snapshot.version

    def _refresh(self, snapshot: Snapshot, version: int) -> Snapshot:
        """The snapshot for ``version`` (read before this): the same indexes when only
        text changed, the changed entries layered over them, or a rebuild.

        An entry's claim, say, is in cached verdicts but not in the indexes; the new
        version alone keeps those verdicts from being served again.
        """
        changes = self._source.index_changes(snapshot.change, MAX_LAYERED)
        if changes.entries is None or len(changes.entries | snapshot.changed) > MAX_LAYERED:
            return self._build()
        if changes.negatives:  # a small bank: reloaded whole, in place
            snapshot = replace(snapshot, negatives=negative_bank(self._source.negative_images()))
        if not changes.entries:
            return replace(snapshot, version=version, change=changes.last)
        changed = changes.entries | snapshot.changed
        # Every changed entry is reloaded whole, so a change landing during these reads
        # is at worst loaded now and again at the next refresh, never missed: the
        # snapshot claims only ``version`` and ``changes.last``, both read before.
        rows = self._source.index_rows(changed)
        stored = self._source.feature_rows(changed)
        base_hashes = getattr(snapshot.hashes, "base", snapshot.hashes)
        base_features = getattr(snapshot.features, "base", snapshot.features)
        features = FeatureIndex(stored.images, stored.quantizer, self._keypoints())
        self._pin_frames_later(base_features, stored)
        return Snapshot(
            LayeredHashes(base_hashes, changed, HashIndex(rows)),
            LayeredFeatures(base_features, changed, features),
            self._load_picture,
            version,
            changes.last,
            changed,
            snapshot.negatives,
        )

    def _refresh_in_background(self, snapshot: Snapshot, version: int) -> None:
        try:
            self._snapshot = self._refresh(snapshot, version)  # one reference swap
        except Exception:  # keep serving the last good snapshot; the next poll retries
            _log.exception("refreshing the index in the background failed")
        finally:
            self._rebuilding = False

    def _pin_frames_later(self, features: FeatureIndex, stored: FeatureRows) -> None:
        """Work out the common points of the video frames in ``stored`` off the request
        path (``FeatureIndex.pin_common_points``)."""
        frames = [(image, f) for _, image, f in stored.images if image in stored.frames]
        if frames:
            self._background(lambda: features.pin_common_points(frames))

    def _keypoints(self) -> Callable[[int], Features | None]:
        """Stage 2 reads candidates' keypoints back (a cache per snapshot, so a reindex
        is never answered from old keypoints) instead of holding them all."""
        return functools.lru_cache(maxsize=512)(self._source.image_keypoints)

    def _build(self) -> Snapshot:
        started = time.monotonic()
        # Hashes before features: their rows carry the version and the last change,
        # read before the rows, so a change landing in between makes this snapshot
        # look stale and that change is simply loaded again.
        rows = self._source.index_rows()
        hashes = HashIndex(rows)
        stored = self._source.feature_rows()
        features = FeatureIndex(stored.images, stored.quantizer, self._keypoints())
        self._pin_frames_later(features, stored)
        negatives = negative_bank(self._source.negative_images())
        snapshot = Snapshot(
            hashes, features, self._load_picture, rows.version, rows.change, negatives=negatives
        )
        self._build_seconds = time.monotonic() - started
        return snapshot
