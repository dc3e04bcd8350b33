"""Import and export entries: JSON Lines (one entry per line), or fact-check markup.

An import is idempotent by SHA-256: a line whose images are already stored is
skipped, so re-running an import after a failure is always safe. A bad line is
reported and skipped, never half-written (one transaction per entry). ClaimReview and
MediaReview JSON-LD (``factchecks.py``) become the same items, numbered in order, and go
through the very same steps: fetch, fingerprint, store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from .factchecks import as_report
from .fetch import FetchError, FetchPolicy, fetch
from .matching.decode import ImageError
from .matching.video import is_video
from .records import EntryImport, NegativeImport, NegativeIn
from .references import Upload, prepare, prepare_together
from .store import Actor, DuplicateImage, DuplicateNegative, ModerationStore, SqlStore


@dataclass
class LineResult:
    line: int
    status: str  # "added", "skipped", "error"
    message: str
    entry_id: int | None = None
    videos: list[int] = field(default_factory=list)  # queued for indexing


#: Queues a video of an entry for indexing: (entry id, bytes, role, source URL) → video id.
AddVideo = Callable[[int, bytes, str, str | None], int]


def parsed_lines(lines: Iterable[str]) -> Iterator[tuple[int, EntryImport | str]]:
    """Each line of a JSON Lines import, numbered: the entry, or why it is not one."""
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            try:
                yield number, EntryImport.model_validate_json(raw)
            except ValidationError as exc:
                yield number, _short(exc)


def import_items(
    items: Iterator[tuple[int, EntryImport | str]],
    *,
    base_dir: Path,
    store: SqlStore,
    max_pixels: int,
    fetch_policy: FetchPolicy,
    add_video: AddVideo | None = None,
    known_video: Callable[[str], int | None] | None = None,
) -> Iterator[LineResult]:
    """``add_video``: where an ``images`` item is a video (told by content), it is queued
    for indexing; without it, such a line is an error. ``known_video``: the entry that
    already has a video of this SHA-256 (re-imports skip it). An item that is a string
    is why its line could not be read."""
    for number, item in items:
        if isinstance(item, str):
            yield LineResult(number, "error", item)
            continue
        known = next(
            (e for ref in item.images if ref.sha256 and (e := store.entry_for_sha256(ref.sha256))),
            None,
        )
        if known is not None:
            yield LineResult(number, "skipped", f"already imported as entry {known}", known)
            continue
        try:
            uploads = [_load(ref, base_dir, fetch_policy) for ref in item.images]
            videos = [u for u in uploads if is_video(u.data)]
            stills = [u for u in uploads if u not in videos]
            if videos and add_video is None:
                raise ImageError("video_unsupported", "videos cannot be imported here")
            again = next(
                (e for v in videos if known_video and (e := known_video(_sha256(v.data)))), None
            )
            if again is not None:
                raise DuplicateImage(again)
            entry_id = store.add_entry(item, prepare_together(stills, max_pixels=max_pixels))
            queued = [add_video(entry_id, v.data, v.role, v.source_url) for v in videos]  # type: ignore[misc]
        except DuplicateImage as exc:
            yield LineResult(
                number, "skipped", f"already imported as entry {exc.entry_id}", exc.entry_id
            )
        except (ImageError, FetchError, OSError) as exc:
            yield LineResult(number, "error", getattr(exc, "message", None) or str(exc))
        else:
            note = f" ({len(queued)} video(s) being indexed)" if queued else ""
            yield LineResult(number, "added", f"added entry {entry_id}{note}", entry_id, queued)


def report_items(
    items: Iterator[tuple[int, EntryImport | str]],
    *,
    base_dir: Path,
    store: ModerationStore,
    max_pixels: int,
    fetch_policy: FetchPolicy,
    actor: Actor,
    queued: Callable[[int], None],
) -> Iterator[LineResult]:
    """Items as reports for moderators to review (a partner's feed), not as entries: each
    its first image and what the fact-check says. Idempotent: an item sent again (same
    fact-check, same image) is the same report. ``queued`` is told each new report."""
    for number, item in items:
        if isinstance(item, str):
            yield LineResult(number, "error", item)
            continue
        try:
            upload = _load(item.images[0], base_dir, fetch_policy)
            fields = as_report(item)
            image = prepare(upload.data, role="misused", max_pixels=max_pixels)
            key = _sha256(f"{fields.evidence_urls}|{image.fingerprint.sha256}".encode())
            known = store.submission_for_key(key)
            report = store.add_submission(fields, image, upload.data, actor, key)
        except (ImageError, FetchError, OSError, ValidationError) as exc:
            yield LineResult(number, "error", getattr(exc, "message", None) or str(exc))
            continue
        if known is not None:
            yield LineResult(number, "skipped", f"already queued as report {report}", report)
        else:
            queued(report)
            yield LineResult(number, "added", f"queued report {report} for review", report)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_negative_lines(
    lines: Iterator[str],
    *,
    base_dir: Path,
    store: ModerationStore,
    max_pixels: int,
    fetch_policy: FetchPolicy,
    actor: Actor,
) -> Iterator[LineResult]:
    """Items of the negative bank, one JSON object per line (``NegativeImport``); an
    item whose bytes are in the bank already is skipped, so re-running is safe."""
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = NegativeImport.model_validate_json(raw)
        except ValidationError as exc:
            yield LineResult(number, "error", _short(exc))
            continue
        try:
            if item.path:
                data, source = (base_dir / item.path).read_bytes(), item.source_url
            else:
                data, source = fetch(str(item.url), fetch_policy), item.source_url or item.url
            image = prepare(data, role="original", max_pixels=max_pixels, source_url=None)
            fields = NegativeIn(kind=item.kind, note=item.note, source_url=source)
            negative_id = store.add_negative(fields, image, actor)
        except DuplicateNegative as exc:
            yield LineResult(
                number, "skipped", f"already in the bank as item {exc.negative_id}", exc.negative_id
            )
        except (ImageError, FetchError, OSError) as exc:
            yield LineResult(number, "error", getattr(exc, "message", None) or str(exc))
        else:
            yield LineResult(number, "added", f"added item {negative_id}", negative_id)


def _load(ref, base_dir: Path, policy: FetchPolicy) -> Upload:  # type: ignore[no-untyped-def]
    if ref.path:
        data = (base_dir / ref.path).read_bytes()
        source = None
    elif ref.url is None:
        raise OSError(f"image {ref.sha256} is not stored here and has no path or url")
    else:
        source = str(ref.url)
        data = fetch(source, policy)
    return Upload(data, ref.role, source)


def export_lines(store: SqlStore, out: IO[str], images_dir: Path | None) -> int:
    """Write every entry in import shape; thumbnails go to ``images_dir`` if given."""
    count = 0
    for entry, shas in store.iter_entries():
        line = entry.model_dump(
            mode="json",
            include={
                "title",
                "category",
                "claim",
                "claim_date",
                "rating",
                "origin",
                "appearances",
                "sources",
                "status",
                "demo",
            },
        )
        line["images"] = []
        for image, sha256 in zip(entry.images, shas, strict=True):
            ref = {"role": image.role, "sha256": sha256}
            if images_dir is not None:
                images_dir.mkdir(parents=True, exist_ok=True)
                name = f"{sha256[:16]}.jpg"
                (images_dir / name).write_bytes((store.thumbnail(image.id) or (b"", ""))[0])
                ref["path"] = f"{images_dir.name}/{name}"
            line["images"].append(ref)
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    return count


def _short(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3])
