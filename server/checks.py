"""The check: image (or hash) in, verdict with annotations out.

This is the hot path. An exact repeat is answered from the cache before any
decoding; otherwise the image is decoded at reduced size, hashed (as published and
trimmed, in eight orientations) and searched in the worker's in-memory index.
Images too flat to fingerprint get ``too_simple`` rather than a guess, because a
wrong "known fake" label on an authentic photo is the worst outcome. When the hashes
find no confirmed match, local features get a second look (``matcher.py``).
"""

from __future__ import annotations

import functools
import hashlib
import time
from typing import Any

import numpy as np
from flask import Flask, current_app

from .cache import get_cache
from .decode import WORK_SIDE, decode
from .hashing import query_fingerprint
from .index import IndexHolder
from .matcher import Found, Thresholds, find, find_hash
from .references import work_picture
from .schemas import CheckResponse, Hashes, Match
from .search_links import search_links
from .store import get_store

MAX_MATCHES = 5


def check_image(data: bytes, *, image_url: str | None = None) -> CheckResponse:
    """Check uploaded or fetched bytes against the known fakes."""
    started = time.perf_counter()
    config = current_app.config
    snapshot = get_index_holder().current()
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"{snapshot.version}:{sha256}"
    cache = get_cache()
    cached = cache.get(key)
    if cached is None:
        max_pixels = config["MAX_IMAGE_PIXELS"]
        decoded = decode(data, max_pixels=max_pixels)
        fp = query_fingerprint(data, decoded, sha256)
        hashes = Hashes(
            pdq=fp.pdq,
            pdq_quality=fp.quality,
            phash=fp.phash,
            dhash=fp.dhash,
            sha256=fp.sha256,
            trimmed=fp.trimmed,
        )
        if fp.quality < config["MIN_PDQ_QUALITY"]:
            body = _body("too_simple", [], hashes, snapshot.version)
        else:
            found = find(
                fp,
                decoded.image,
                snapshot,
                thresholds(),
                sharper=lambda: decode(data, max_pixels=max_pixels, work_side=2 * WORK_SIDE).image,
            )
            body = _verdict(found, hashes, snapshot.version)
        cache.set(key, body)
    return _respond(cached or body, image_url, started, cached=cached is not None)


def check_hash(pdq_hex: str) -> CheckResponse:
    """Look up a PDQ hash sent without its image (the privacy-preserving path)."""
    started = time.perf_counter()
    snapshot = get_index_holder().current()
    found = find_hash(bytes.fromhex(pdq_hex), snapshot, thresholds())
    body = _verdict(found, Hashes(pdq=pdq_hex.lower()), snapshot.version)
    return _respond(body, None, started, cached=False)


def thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(
        match=config["MATCH_THRESHOLD"],
        possible=config["POSSIBLE_MATCH_THRESHOLD"],
        min_inliers=config["MIN_INLIERS"] if config["STAGE2_ENABLED"] else None,
        min_agreement=config["MIN_AGREEMENT"],
        possible_agreement=config["POSSIBLE_AGREEMENT"],
        min_quality=config["MIN_PDQ_QUALITY"],
    )


def _verdict(found: list[Found], hashes: Hashes, version: int) -> dict[str, Any]:
    found = found[:MAX_MATCHES]
    entries = get_store().get_entries([f.entry_id for f in found])
    matches = [
        Match(
            entry=entries[f.entry_id],
            image_id=f.image_id,
            distance=f.distance,
            similarity=f.similarity,
            variant=f.variant,
            method=f.method,
            inliers=f.inliers,
            agreement=f.agreement,
        )
        for f in found
        if f.entry_id in entries
    ]
    if not matches:
        result = "no_match"
    elif found[0].confirmed:
        result = "match"
    else:
        result = "possible_match"
    return _body(result, matches, hashes, version)


def _body(result: str, matches: list[Match], hashes: Hashes, version: int) -> dict[str, Any]:
    return {
        "result": result,
        "matches": [match.model_dump(mode="json") for match in matches],
        "hashes": hashes.model_dump(mode="json"),
        "index_version": version,
    }


def _respond(
    body: dict[str, Any], image_url: str | None, started: float, *, cached: bool
) -> CheckResponse:
    return CheckResponse(
        **body,
        search_links=search_links(image_url),
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        cached=cached,
    )


def get_index_holder() -> IndexHolder:
    return current_app.extensions["origincheck.index"]


def init_app(app: Flask) -> None:
    store = app.extensions["origincheck.store"]

    @functools.lru_cache(maxsize=256)  # stored images never change; popular fakes recur
    def load_picture(image_id: int) -> np.ndarray | None:
        data = store.work_jpeg(image_id)
        return work_picture(data) if data else None

    app.extensions["origincheck.index"] = IndexHolder(
        load_hashes=store.index_rows,
        load_features=store.feature_rows,
        load_picture=load_picture,
        version=store.index_version,
        poll_interval=app.config["INDEX_POLL_INTERVAL"],
    )
