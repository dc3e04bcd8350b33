"""Absolute links in answers: records carry paths, readers and tools need full URLs.

Entries and matches are cached and stored with paths (``/entries/7``), because the
same record is served under whatever host the request came to; the views make them
absolute on the way out.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import request

from .records import CheckResponse


def base_url() -> str:
    return request.host_url.rstrip("/")


def public_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """Make an entry's links absolute, so tools can follow them as they are."""
    root = base_url()
    entry["url"] = root + entry["url"]
    for image in entry["images"]:
        image["thumbnail_url"] = root + image["thumbnail_url"]
    for video in entry.get("videos", []):
        if video.get("poster_url"):
            video["poster_url"] = root + video["poster_url"]
    return entry


def public_check(result: CheckResponse) -> dict[str, Any]:
    body = result.model_dump(mode="json")
    for match in body["matches"]:
        public_entry(match["entry"])
        if match.get("frame_thumbnail_url"):
            match["frame_thumbnail_url"] = base_url() + match["frame_thumbnail_url"]
    return body


def at_time(url: str | None, seconds: float) -> str | None:
    """``url`` opened at ``seconds``, where its site supports it: YouTube (``t=``), Vimeo
    (``#t=``), a plain video file (a media fragment). None elsewhere: a link that claims a
    time it does not open at would mislead."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    whole = int(seconds)
    if host in ("youtube.com", "youtu.be", "youtube-nocookie.com"):
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "t"] + [("t", f"{whole}s")]
        return urlunsplit(parts._replace(query=urlencode(query)))
    if host == "vimeo.com" or host.endswith(".vimeo.com"):
        return urlunsplit(parts._replace(fragment=f"t={whole}s"))
    if parts.path.lower().endswith((".mp4", ".webm", ".mov", ".m4v", ".ogv")):
        return urlunsplit(parts._replace(fragment=f"t={seconds:.1f}"))
    return None
