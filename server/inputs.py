"""What the door refuses before any view runs: JSON nested past reason, NUL bytes.

Both used to reach the views and end as a 500: Python's JSON decoder recurses once
per level (100,000 brackets raise RecursionError), and PostgreSQL text columns refuse
NUL characters at the very end of a request that SQLite would have stored. Refusing
them here gives every entry point the same 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from .errors import ApiError
from .records import MAX_ID

MAX_DEPTH = 32  # the deepest body the API defines is 4 levels


class IdConverter(IntegerConverter):
    """``<id:name>`` in routes: a row id, 1 to 2^31 - 1; anything else is a 404 at routing,
    not an integer overflow in the database."""

    def __init__(self, url_map, *args: Any, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        super().__init__(url_map, min=1, max=MAX_ID)


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than ``MAX_DEPTH`` or carrying NUL.

    Raises ValueError, which ``request.get_json`` treats as malformed JSON (so
    ``silent=True`` gives None and the view answers ``bad_json``).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
        if _depth(text) > MAX_DEPTH:
            raise ValueError("JSON nested too deeply")
        value = json.loads(text, **kwargs)
        if _has_nul(value):
            raise ValueError("text may not contain NUL characters")
        return value


def int_arg(name: str, default: int | None, args: Mapping[str, str] | None = None) -> int | None:
    """A whole-number query argument (or field of ``args``, e.g. a form), 0 to MAX_ID,
    or a 400 that says so (never a value silently dropped, never an integer too large
    for the database)."""
    value = (request.args if args is None else args).get(name)
    if value is None:
        return default
    # ASCII digits only: "³".isdigit() is true, and int("³") a ValueError (a 500).
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        raise ApiError("invalid_request", f"{name} must be a whole number from 0 to {MAX_ID}.")
    return int(value)


def _depth(text: str) -> int:
    """How deeply brackets nest, ignoring those inside strings (one linear pass)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul_bytes() -> None:
    """Query strings and form fields with NUL characters are malformed input."""
    if request.method == "OPTIONS":
        return
    fields = [*request.args.items(multi=True)]
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        fields += request.form.items(multi=True)
    if any("\x00" in key or "\x00" in value for key, value in fields):
        raise ApiError("bad_request", "Text may not contain NUL characters.", 400)


def init_app(app: Flask) -> None:
    app.json = SafeJSONProvider(app)
    app.url_map.converters["id"] = IdConverter
    app.before_request(refuse_nul_bytes)
