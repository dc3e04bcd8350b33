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
import io
import time
from typing import Any

import numpy as np
from flask import Flask, current_app
from PIL import Image, ImageDraw

from .cache import get_cache
from .explain import explanation
from .limits import charge_work, require_work_budget
from .links import at_time
from .matching.decode import ImageError
from .matching.geometry import area
from .matching.hashing import Fingerprint
from .matching.index import IndexHolder, Snapshot
from .matching.lookup import look_up
from .matching.matcher import Found, Thresholds, find_hash
from .matching.source import StoredPicture
from .matching.video import VideoLimits, is_video, key_frames
from .native import run_detached
from .provenance import read_provenance
from .records import CheckResponse, EntryOut, Hashes, Match
from .references import jpeg
from .search_links import search_links
from .store import get_store, get_videos

MAX_MATCHES = 5
#: A match over this share of the uploaded image is "your image", not "the outlined part".
WHOLE_SHARE = 0.8


def check_image(data: bytes, *, image_url: str | None = None) -> CheckResponse:
    """Check uploaded or fetched bytes against the known fakes."""
    started = time.perf_counter()
    snapshot = get_index_holder().current()
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"{snapshot.version}:{sha256}"
    cache = get_cache()
    cached = cache.get(key)
    if cached is None:
        if is_video(data):
            body = _fresh_clip(data, sha256, snapshot)
        elif len(data) > current_app.config["MAX_CONTENT_LENGTH"]:  # the door lets clips by
            raise ImageError("image_too_large", "The image is over the upload limit.", 413)
        else:
            body = _fresh_body(data, sha256, snapshot)
        cache.set(key, body)
    return _respond(cached or body, image_url, started, cached=cached is not None)


def _fresh_body(data: bytes, sha256: str, snapshot: Snapshot) -> dict[str, Any]:
    require_work_budget()  # a cached answer above was free; decoding is not
    fp, found = find_matches(data, snapshot, sha256)
    charge_work(fp.width * fp.height / 1e6)
    hashes = Hashes(
        pdq=fp.pdq,
        pdq_quality=fp.quality,
        sha256=fp.sha256,
        trimmed=fp.trimmed,
    )
    size = (fp.width, fp.height)
    if found is None:
        body = _body("too_simple", [], hashes, snapshot.version, size)
    else:
        body = _verdict(found, hashes, snapshot, size)
    # Same bytes, same answer: provenance is cached with the verdict.
    provenance = read_provenance(data)
    body["provenance"] = provenance.model_dump(mode="json") if provenance else None
    return body


def _fresh_clip(data: bytes, sha256: str, snapshot: Snapshot) -> dict[str, Any]:
    """A short video: its key frames (a frame a second at most, cuts included) are each
    checked like a still, and each entry is answered once, at its strongest frame, with
    the clip's time beside the reference's."""
    config = current_app.config
    if len(data) > config["CLIP_MAX_BYTES"]:
        raise ImageError("clip_too_large", "The clip is over the clip size limit.", 413)
    require_work_budget()
    info, frames = key_frames(data, video_limits(config, "CLIP"))
    charge_work(info.width * info.height / 1e6 * max(1.0, info.duration))
    best: dict[int, tuple[Found, float]] = {}
    size: tuple[int, int] | None = None
    for frame in frames:
        size = frame.image.size
        _, found = find_matches(jpeg(frame.image.convert("RGB"), 90), snapshot)
        for f in found or []:
            kept = best.get(f.entry_id)
            if kept is None or _strength(f) > _strength(kept[0]):
                best[f.entry_id] = (f, frame.time)
    ordered = sorted(best.values(), key=lambda pair: _strength(pair[0]), reverse=True)
    body = _verdict([f for f, _ in ordered], Hashes(sha256=sha256), snapshot, size)
    times = {f.entry_id: t for f, t in ordered}
    for match in body["matches"]:
        match["clip_time_s"] = round(times[match["entry"]["id"]], 2)
    body["provenance"] = None
    return body


def _strength(f: Found) -> tuple[bool, float]:
    return (f.confirmed, f.agreement if f.agreement is not None else f.similarity)


def video_limits(config: Any, kind: str = "VIDEO") -> VideoLimits:
    """The caps on a reference video (``VIDEO_*``) or on a clip to check (``CLIP_*``)."""
    return VideoLimits(
        max_seconds=config[f"{kind}_MAX_SECONDS"],
        max_pixels=config["VIDEO_MAX_PIXELS"],
        max_frames=config[f"{kind}_MAX_FRAMES"],
        decode_budget=config[f"{kind}_DECODE_BUDGET"],
        every=config[f"{kind}_EVERY"],
    )


def find_matches(
    data: bytes, snapshot: Snapshot | None = None, sha256: str | None = None
) -> tuple[Fingerprint, list[Found] | None]:
    """The reader's matcher on ``data`` (stage 1, then stage 2), without the cache or
    limits: the check and the moderators' duplicate hints both use it, so moderators
    see what readers are told. None instead of matches: too flat to fingerprint."""
    snapshot = snapshot or get_index_holder().current()
    max_pixels = current_app.config["MAX_IMAGE_PIXELS"]
    return look_up(data, snapshot, thresholds(), max_pixels=max_pixels, sha256=sha256)


def warm_up(app: Flask) -> None:
    """Load the indexes and run one uncached check before a worker takes traffic.

    A cold worker spends about 200 ms on its first check (index load, lazy imports,
    first allocations). Without this, the first reader after every deploy or worker
    restart pays for it, and load tests see it as their p99 (bench/load, BENCHMARKS.md).
    """
    try:
        with app.app_context():
            snapshot = get_index_holder().current()
            data = _warm_up_jpeg()
            _fresh_body(data, hashlib.sha256(data).hexdigest(), snapshot)
    except Exception:  # the store may be down: boot anyway, /health says so, checks retry
        app.logger.exception("warm-up failed; the first check will load the indexes")


def _warm_up_jpeg() -> bytes:
    """A textured photo-sized JPEG with a framed picture inside, so every stage runs."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
    picture = Image.fromarray(noise).resize((800, 600), Image.Resampling.BICUBIC)
    ImageDraw.Draw(picture).rectangle((200, 150, 600, 450), outline="white", width=6)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    return out.getvalue()


def check_hash(pdq_hex: str) -> CheckResponse:
    """Look up a PDQ hash sent without its image (the privacy-preserving path)."""
    started = time.perf_counter()
    snapshot = get_index_holder().current()
    found = find_hash(bytes.fromhex(pdq_hex), snapshot, thresholds())
    body = _verdict(found, Hashes(pdq=pdq_hex.lower()), snapshot, None)
    return _respond(body, None, started, cached=False)


def thresholds() -> Thresholds:
    return Thresholds.from_config(current_app.config)


def _verdict(
    found: list[Found], hashes: Hashes, snapshot: Snapshot, size: tuple[int, int] | None
) -> dict[str, Any]:
    """The answer; ``size`` is the uploaded image's (None for a hash sent alone)."""
    found = found[:MAX_MATCHES]
    entries = get_store().get_entries([f.entry_id for f in found])
    frames = get_videos().frames_of([i for f in found for i in (f.image_id, *f.alike_frames)])
    matches = [
        _match(f, entries[f.entry_id], snapshot, size, frames.get(f.image_id), frames)
        for f in found
        if f.entry_id in entries
    ]
    if not matches:
        result = "no_match"
    elif found[0].confirmed:
        result = "match"
    else:
        result = "possible_match"
    return _body(result, matches, hashes, snapshot.version, size)


def _match(
    f: Found,
    entry: EntryOut,
    snapshot: Snapshot,
    size: tuple[int, int] | None,
    frame: tuple[int, float] | None = None,
    frames: dict[int, tuple[int, float]] | None = None,
) -> Match:
    """``frame``: (video id, seconds) when the matched image is a frame of a video;
    ``frames``: where the frames that agree as well are (``Found.alike_frames``)."""
    whole = (
        size is None
        or f.query_box is None
        or (area(f.query_box) >= WHOLE_SHARE * size[0] * size[1])
    )
    return Match(
        entry=entry,
        image_id=f.image_id,
        distance=f.distance,
        similarity=f.similarity,
        variant=f.variant,
        method=f.method,
        inliers=f.inliers,
        agreement=f.agreement,
        confirmed=f.confirmed,
        query_box=list(f.query_box) if f.query_box else None,
        reference_box=_in_original(f, entry, snapshot),
        coverage=f.coverage,
        words=f.words,
        explanation=explanation(f, whole),
        **(_frame_fields(f, entry, frame, frames or {}) if frame else {}),
    )


def _frame_fields(
    f: Found, entry: EntryOut, frame: tuple[int, float], frames: dict[int, tuple[int, float]]
) -> dict[str, Any]:
    video_id, seconds = frame
    alike = [frames[i][1] for i in f.alike_frames if i in frames and frames[i][0] == video_id]
    video = next((v for v in entry.videos if v.id == video_id), None)
    origin = entry.origin.url if entry.origin else None
    url = (video.source_url if video else None) or (
        str(origin) if origin and video and video.role == "original" else None
    )
    return {
        "video_id": video_id,
        "frame_time_s": round(seconds, 2),
        # The same picture at other moments (a still shot, a slow zoom): say so, rather
        # than claim one moment that the pixels cannot single out.
        "frame_range_s": [round(min(alike + [seconds]), 2), round(max(alike + [seconds]), 2)]
        if alike
        else None,
        "frame_thumbnail_url": f"/images/{f.image_id}/thumbnail.jpg",
        "origin_at_url": at_time(url, seconds),
    }


def _in_original(f: Found, entry: EntryOut, snapshot: Snapshot) -> list[int] | None:
    """The reference box in the stored image's own pixels (the matcher's are its work
    picture's)."""
    image = next((i for i in entry.images if i.id == f.image_id), None)
    stored = snapshot.pictures(f.image_id) if f.reference_box else None
    if image is None or stored is None or f.reference_box is None:
        return None
    factor = image.width / stored.grey.shape[1]
    return [
        min(round(v * factor), image.width if n % 2 == 0 else image.height)
        for n, v in enumerate(f.reference_box)
    ]


def _body(
    result: str,
    matches: list[Match],
    hashes: Hashes,
    version: int,
    size: tuple[int, int] | None,
) -> dict[str, Any]:
    return {
        "result": result,
        "matches": [match.model_dump(mode="json") for match in matches],
        "hashes": hashes.model_dump(mode="json"),
        "index_version": version,
        "image_size": list(size) if size else None,
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
    def load_picture(image_id: int) -> StoredPicture | None:
        return store.picture(image_id)

    app.extensions["origincheck.index"] = IndexHolder(
        store,
        load_picture,
        poll_interval=app.config["INDEX_POLL_INTERVAL"],
        background=run_detached,
    )
