"""The OpenAPI 3.1 document, generated from the pydantic schemas.

The schemas are the single source of truth: the same models validate requests,
shape responses and describe them here, so the document cannot drift.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from ..records import CheckResponse, EntryOut
from .schemas import (
    CheckRequestHashes,
    CheckRequestUrl,
    EntryList,
    ErrorResponse,
    FingerprintPage,
    Health,
    VideoStatus,
)

REF = "#/components/schemas/{model}"


def _json(model: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _errors(*codes: int) -> dict[str, Any]:
    def why(code: int) -> str:
        return "The database is unreachable; retry" if code == 503 else "Refused; see error.code"

    return {str(code): _json("ErrorResponse", why(code)) for code in codes}


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


@cache
def document() -> dict[str, Any]:
    models = [
        CheckRequestHashes,
        CheckRequestUrl,
        CheckResponse,
        EntryList,
        EntryOut,
        ErrorResponse,
        FingerprintPage,
        Health,
        VideoStatus,
    ]
    _, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OriginCheck API",
            "version": "1.0",
            "description": (
                "Is this image a known fake or misused? Send an image, get its true origin."
            ),
        },
        "paths": {
            "/api/v1/check": {
                "post": {
                    "summary": "Check an image against the known fakes",
                    "description": (
                        "Send the image as multipart field `image` (optionally `image_url`, "
                        'used for reverse-search links), or JSON `{"url": ...}` to have the '
                        "server fetch it, "
                        'or JSON `{"hashes": {"pdq": ...}}` to send only a PDQ hash. '
                        "A short video clip (MP4, MOV, WebM, animated GIF/WebP; at most "
                        "`CLIP_MAX_SECONDS` s and `CLIP_MAX_BYTES`) in `image` or `video` is "
                        "checked frame by frame; each match then has `clip_time_s`. "
                        "A match on a frame of a reference video has `video_id`, "
                        "`frame_time_s`, `frame_thumbnail_url` and `origin_at_url`. "
                        "`result` is `match`, `possible_match` (unconfirmed), `no_match` or "
                        "`too_simple` (too flat to fingerprint)."
                    ),
                    "requestBody": {
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "image": {"type": "string", "format": "binary"},
                                        "image_url": {"type": "string", "format": "uri"},
                                    },
                                    "required": ["image"],
                                }
                            },
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": REF.format(model="CheckRequestUrl")},
                                        {"$ref": REF.format(model="CheckRequestHashes")},
                                    ]
                                }
                            },
                        }
                    },
                    "responses": {
                        "200": _json("CheckResponse", "The verdict"),
                        **_errors(400, 403, 413, 415, 422, 429, 503),
                    },
                }
            },
            "/api/v1/entries": {
                "get": {
                    "summary": "List published entries (paged, text search)",
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "after", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "maximum": 100},
                        },
                    ],
                    "responses": {"200": _json("EntryList", "A page of entries"), **_errors(400)},
                }
            },
            "/api/v1/fingerprints": {
                "get": {
                    "summary": "The bank's PDQ hashes for a device's own copy (private mode)",
                    "description": (
                        "A device downloads the bank once (`since=0`), then only what "
                        "changed since the `version` it holds; it matches on its own and "
                        "asks for an entry only on a hit. Cacheable for 60 s (ETag)."
                    ),
                    "parameters": [
                        {"name": "since", "in": "query", "schema": {"type": "integer"}},
                        {"name": "at", "in": "query", "schema": {"type": "integer"}},
                        {"name": "after", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "variants",
                            "in": "query",
                            "schema": {"enum": ["core", "all"], "default": "core"},
                        },
                    ],
                    "responses": {
                        "200": _json("FingerprintPage", "A page of the bank's hashes"),
                        "304": {"description": "Not modified (If-None-Match)"},
                        **_errors(400),
                    },
                }
            },
            "/api/v1/entries/{entry_id}": {
                "get": {
                    "summary": "One entry; `?format=jsonld` for schema.org MediaReview/ClaimReview",
                    "parameters": [
                        {
                            "name": "entry_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                        {"name": "format", "in": "query", "schema": {"enum": ["json", "jsonld"]}},
                    ],
                    "responses": {"200": _json("EntryOut", "The entry"), **_errors(404)},
                }
            },
            "/api/v1/entries/{entry_id}/videos": {
                "post": {
                    "summary": "Add a reference video to an entry (moderators)",
                    "description": (
                        "Multipart `video` (with `role`: original, misused or variant; "
                        'optional `source_url`), or JSON `{"url", "role"}` fetched by the '
                        "server. Probed at once (4xx for a file that is not a usable video), "
                        "then indexed in the background: poll `status_url`."
                    ),
                    "security": [{"bearer": []}],
                    "parameters": [_path("entry_id")],
                    "requestBody": {
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "video": {"type": "string", "format": "binary"},
                                        "role": {"enum": ["original", "misused", "variant"]},
                                        "source_url": {"type": "string", "format": "uri"},
                                    },
                                    "required": ["video"],
                                }
                            },
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "url": {"type": "string", "format": "uri"},
                                        "role": {"enum": ["original", "misused", "variant"]},
                                    },
                                    "required": ["url"],
                                }
                            },
                        }
                    },
                    "responses": {
                        "202": _json("VideoStatus", "Queued for indexing"),
                        **_errors(400, 401, 403, 404, 409, 413, 415, 422),
                    },
                }
            },
            "/api/v1/videos/{video_id}": {
                "get": {
                    "summary": "A reference video's indexing: status, progress, error (moderators)",
                    "security": [{"bearer": []}],
                    "parameters": [_path("video_id")],
                    "responses": {
                        "200": _json("VideoStatus", "Where indexing is"),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/api/v1/health": {
                "get": {
                    "summary": "Service health",
                    "responses": {"200": _json("Health", "Health")},
                }
            },
        },
        "components": {
            "schemas": schemas["$defs"],
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`flask create-token`), role moderator or above.",
                }
            },
        },
    }
