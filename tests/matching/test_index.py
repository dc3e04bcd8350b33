"""The hash index (the multi-index must agree with the exact scan) and how workers refresh it."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from server.matching.features import extract
from server.matching.index import HashIndex, IndexHolder
from server.matching.source import FeatureRows, IndexChanges, IndexRows, NegativeImage

from ..conftest import demo_image


def bank(n: int, seed: int = 3) -> IndexRows:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    image_ids = np.arange(n, dtype=np.int64) // 4 + 100  # four hashes per image
    entry_ids = image_ids // 2 + 7  # two images per entry
    variants = [("full", "trimmed", "centre-90", "grid-0-0")[i % 4] for i in range(n)]
    return IndexRows(codes, image_ids, entry_ids, variants, version=5)


def flipped(code: np.ndarray, bits: int, rng: np.random.Generator) -> bytes:
    unpacked = np.unpackbits(code)
    unpacked[rng.choice(256, bits, replace=False)] ^= 1
    return np.packbits(unpacked).tobytes()


def test_the_flat_scan_finds_exactly_the_codes_within_the_radius() -> None:
    """Exact at the edge of the radius, wherever the differing bits lie: 52 bits away is
    found, 53 is not, nor a code whose first half is identical and the rest is far."""
    rows = bank(20_000)
    rng = np.random.default_rng(2)
    query = rng.integers(0, 256, 32, dtype=np.uint8)

    def near(head_bits: int, tail_bits: int) -> np.ndarray:
        head, tail = np.unpackbits(query[:16]), np.unpackbits(query[16:])
        head[rng.choice(128, head_bits, replace=False)] ^= 1
        tail[rng.choice(128, tail_bits, replace=False)] ^= 1
        return np.packbits(np.concatenate([head, tail]))

    planted = {0: near(40, 12), 8: near(40, 13), 16: near(0, 60), 24: near(20, 20)}
    for row, code in planted.items():
        rows.codes[row] = code
    queries = [query.tobytes()] + [
        flipped(rows.codes[r], b, rng) for r, b in ((400, 31), (800, 52))
    ]
    batch = np.frombuffer(b"".join(queries), np.uint8).reshape(-1, 32)
    distances = np.bitwise_count(batch[:, None, :] ^ rows.codes[None]).sum(axis=2)
    expected: dict[int, int] = {}
    for q, row in zip(*np.nonzero(distances <= 52), strict=True):
        entry = int(rows.entry_ids[row])
        expected[entry] = min(expected.get(entry, 256), int(distances[q, row]))
    found = {hit.entry_id: hit.distance for hit in HashIndex(rows).search(queries, 52)}
    assert found == expected
    assert {rows.entry_ids[0]: 52, rows.entry_ids[24]: 40}.items() <= found.items()
    assert rows.entry_ids[8] not in found and rows.entry_ids[16] not in found


def test_multi_index_finds_every_code_within_13_bits_like_the_flat_scan() -> None:
    rows = bank(20_000)
    flat, multi = HashIndex(rows), HashIndex(rows, multi_index=True)
    rng = np.random.default_rng(0)
    for bits in range(14):
        row = int(rng.integers(len(rows.codes)))
        query = [flipped(rows.codes[row], bits, rng)]
        expected = flat.search(query, 52)
        assert multi.search(query, 52)[0] == expected[0]
        assert expected[0].image_id == rows.image_ids[row] and expected[0].distance == bits
        assert expected[0].entry_id == rows.entry_ids[row]
        assert expected[0].reference_variant == rows.variants[row]


def test_multi_index_never_returns_what_the_flat_scan_would_not() -> None:
    rows = bank(20_000)
    flat, multi = HashIndex(rows), HashIndex(rows, multi_index=True)
    rng = np.random.default_rng(1)
    queries = [flipped(rows.codes[int(rng.integers(20_000))], 31, rng) for _ in range(100)]
    queries += [rng.integers(0, 256, 32, dtype=np.uint8).tobytes() for _ in range(16)]
    exact = {(h.entry_id, h.image_id, h.distance) for h in flat.search(queries, 52)}
    approximate = {(h.entry_id, h.image_id, h.distance) for h in multi.search(queries, 52)}
    assert approximate <= exact
    assert len(approximate) >= 0.9 * len(exact) > 0  # ~97 % expected at 31 bits


def test_empty_bank_finds_nothing_either_way() -> None:
    empty = IndexRows(
        np.zeros((0, 32), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64), [], 0
    )
    for multi_index in (False, True):
        assert HashIndex(empty, multi_index=multi_index).search([bytes(32)], 52) == []


class MemorySource:
    """An ``IndexSource`` over rows in memory: the holder's timing and bookkeeping on
    their own (tests/test_checks.py runs the same paths against the real store)."""

    def __init__(self, rows: IndexRows) -> None:
        self.rows, self.version, self.changes = rows, 1, [0]
        self.loads: list[frozenset[int] | None] = []  # entries asked for; None = all
        self.hold: threading.Event | None = None

    def change(self, entry: int | None) -> None:
        """What a write does: a new change and a new version."""
        self.changes.append(entry)
        self.version += 1

    def index_version(self) -> int:
        return self.version

    def index_changes(self, after: int, limit: int) -> IndexChanges:
        entries = self.changes[after + 1 :]
        last = len(self.changes) - 1
        if None in entries or len(entries) > limit:
            return IndexChanges(last, None)
        return IndexChanges(last, frozenset(entries))  # type: ignore[arg-type]

    def index_rows(self, entries: Collection[int] | None = None) -> IndexRows:
        self.loads.append(None if entries is None else frozenset(entries))
        if self.hold is not None:
            self.hold.wait(10)
        keep = np.ones(len(self.rows.codes), bool)
        if entries is not None:
            keep = np.isin(self.rows.entry_ids, list(entries))
        return IndexRows(
            self.rows.codes[keep],
            self.rows.image_ids[keep],
            self.rows.entry_ids[keep],
            [v for v, k in zip(self.rows.variants, keep, strict=True) if k],
            self.version,
            len(self.changes) - 1,
        )

    def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows:
        return FeatureRows([], None)

    def image_keypoints(self, image_id: int) -> None:
        return None

    def negative_images(self) -> list[NegativeImage]:
        return []


def holder_of(source: MemorySource) -> IndexHolder:
    return IndexHolder(source, lambda _: None, poll_interval=0.0)


def test_a_slow_rebuild_runs_in_the_background_while_checks_use_the_last_snapshot(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    source = MemorySource(bank(8))
    holder = holder_of(source)
    assert holder.current().version == 1
    holder._build_seconds = IndexHolder.BACKGROUND_AFTER + 0.1  # as after a large bank's load
    source.hold = threading.Event()  # the rebuild waits until the test lets it finish
    source.change(None)
    assert holder.current().version == 1  # returns at once: the rebuild is on its thread
    source.hold.set()
    deadline = time.monotonic() + 10
    while holder.current().version != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert holder.current().version == 2 and source.loads == [None, None]


def test_a_quick_rebuild_happens_in_the_request_that_sees_the_change() -> None:
    source = MemorySource(bank(8))
    holder = holder_of(source)
    assert holder.current().version == 1
    source.change(None)
    assert holder.current().version == 2 and source.loads == [None, None]


def test_a_text_only_change_takes_the_new_version_without_a_reload() -> None:
    source = MemorySource(bank(8))
    holder = holder_of(source)
    assert holder.current().version == 1
    source.version += 1  # an entry's claim was edited: same hashes, same images
    assert holder.current().version == 2 and source.loads == [None]


def test_changed_entries_are_reloaded_alone_and_replace_what_the_index_held() -> None:
    rows = bank(40)  # entries 57..61, two images of four hashes each
    source = MemorySource(rows)
    holder = holder_of(source)
    first, second = rows.codes[0].tobytes(), rows.codes[8].tobytes()  # entries 57 and 58
    assert [h.entry_id for h in holder.current().hashes.search([first, second], 0)] == [57, 58]

    # Entry 57 is retracted: its rows leave the store, and only entry 57 is read again.
    source.rows = replace(rows, entry_ids=np.where(rows.entry_ids == 57, 99, rows.entry_ids))
    source.change(57)
    snapshot = holder.current()
    assert source.loads == [None, frozenset({57})]
    assert [h.entry_id for h in snapshot.hashes.search([first, second], 0)] == [58]
    assert len(snapshot.hashes) == 40 - 8

    # Entry 57 comes back with a new image: both changes stay layered, nothing rebuilt.
    new_code = np.full((1, 32), 0xAB, np.uint8)
    source.rows = replace(
        rows,
        codes=np.vstack([rows.codes, new_code]),
        image_ids=np.append(rows.image_ids, 500),
        entry_ids=np.append(rows.entry_ids, 57),
        variants=[*rows.variants, "full"],
    )
    source.change(57)
    snapshot = holder.current()
    assert source.loads == [None, frozenset({57}), frozenset({57})]
    found = snapshot.hashes.search([new_code.tobytes()], 0)
    assert [(h.entry_id, h.image_id) for h in found] == [(57, 500)]
    assert {h.entry_id for h in snapshot.hashes.search([first, second], 0)} == {57, 58}
    assert len(snapshot.hashes) == 41 and snapshot.changed == frozenset({57})


def test_a_reindex_or_too_many_changes_rebuild_everything(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    source = MemorySource(bank(40))
    holder = holder_of(source)
    holder.current()
    source.change(None)  # a reindex
    assert holder.current().changed == frozenset() and source.loads == [None, None]
    monkeypatch.setattr("server.matching.index.MAX_LAYERED", 2)
    source.change(57)
    source.change(58)
    assert holder.current().changed == frozenset({57, 58})
    source.change(59)
    snapshot = holder.current()
    assert snapshot.changed == frozenset() and source.loads[-1] is None
    assert type(snapshot.hashes) is HashIndex


def test_the_frames_of_videos_get_their_common_points_in_the_background_after_a_load() -> None:
    """The holder hands the frames of a load (``FeatureRows.frames``) to its background,
    so a first check against a shot does not pay for them (``pin_common_points``)."""
    coffee = extract(demo_image("coffee"))
    images = [(10 + k, k, coffee) for k in range(4)]  # a frame of entry 10 and 3 copies

    class WithFrames(MemorySource):
        def feature_rows(self, entries: Collection[int] | None = None) -> FeatureRows:
            return FeatureRows(images, None, frozenset({0}))

        def image_keypoints(self, image_id: int) -> None:
            raise AssertionError("read back: the frame's points were not worked out ahead")

    later: list = []  # type: ignore[type-arg]
    holder = IndexHolder(WithFrames(bank(8)), lambda _: None, 0.0, background=later.append)
    features = holder.current().features
    assert len(later) == 1  # handed to the background, not done in the request
    later[0]()
    assert len(features.common_points(0)) > 20
