"""Absolute links in answers: records carry paths, readers and tools need full URLs.

Entries and matches are cached and stored with paths (``/entries/7``), because the
same record is served under whatever host the request came to; the views make them
absolute on the way out.
"""

from __future__ import annotations

from typing import Any

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
    return entry


def public_check(result: CheckResponse) -> dict[str, Any]:
    body = result.model_dump(mode="json")
    for match in body["matches"]:
        public_entry(match["entry"])
    return body
