"""The hash index: the multi-index used for large banks must agree with the exact scan."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np

from server.index import HashIndex, IndexHolder
from server.store import FeatureRows, IndexRows


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


def test_a_slow_rebuild_runs_in_the_background_while_checks_use_the_last_snapshot() -> None:
    version = [1]
    release = threading.Event()
    loads = [0]

    def load_hashes() -> IndexRows:
        loads[0] += 1
        if loads[0] == 1:
            time.sleep(IndexHolder.BACKGROUND_AFTER + 0.1)  # a large bank's first load
        else:
            release.wait(10)  # the rebuild is held until the test lets it finish
        return replace(bank(8), version=version[0])

    holder = IndexHolder(
        load_hashes, lambda: FeatureRows([], None), lambda _: None, lambda: version[0], 0.0
    )
    assert holder.current().version == 1
    version[0] = 2
    assert holder.current().version == 1  # returns at once: the rebuild is on its thread
    release.set()
    deadline = time.monotonic() + 10
    while holder.current().version != 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert holder.current().version == 2 and loads[0] == 2


def test_a_quick_rebuild_happens_in_the_request_that_sees_the_change() -> None:
    version = [1]
    holder = IndexHolder(
        lambda: replace(bank(8), version=version[0]),
        lambda: FeatureRows([], None),
        lambda _: None,
        lambda: version[0],
        0.0,
    )
    assert holder.current().version == 1
    version[0] = 2
    assert holder.current().version == 2


def test_a_text_only_change_takes_the_new_version_without_a_rebuild() -> None:
    version, indexed, loads = [1], [1], [0]

    def load_hashes() -> IndexRows:
        loads[0] += 1
        return replace(bank(8), version=version[0])

    holder = IndexHolder(
        load_hashes,
        lambda: FeatureRows([], None),
        lambda _: None,
        lambda: version[0],
        0.0,
        indexed_version=lambda: indexed[0],
    )
    assert holder.current().version == 1 and loads[0] == 1
    version[0] = 2  # an entry's claim was edited: same hashes, same images
    assert holder.current().version == 2 and loads[0] == 1
    version[0], indexed[0] = 3, 2  # an image was added
    assert holder.current().version == 3 and loads[0] == 2
