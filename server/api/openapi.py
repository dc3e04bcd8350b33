"""The OpenAPI 3.1 document, generated from the pydantic schemas.

The schemas are the single source of truth: the same models validate requests,
shape responses and describe them here, so the document cannot drift.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from ..records import (
    MAX_ID,
    NEGATIVE_KINDS,
    SUBMISSION_STATUSES,
    CheckResponse,
    EntryOut,
    EntryPatch,
    FeedbackIn,
    NegativeIn,
    PageCheckRequest,
    SubmissionIn,
)
from .schemas import (
    BulkResult,
    CheckRequestHashes,
    CheckRequestUrl,
    EntryEdit,
    EntryEnvelope,
    EntryList,
    EntryStatusChange,
    ErrorResponse,
    FingerprintPage,
    Health,
    InfoRequest,
    ItemList,
    MergeRequest,
    NegativeEnvelope,
    NegativeList,
    PageCheckReport,
    Recorded,
    RejectRequest,
    ReviewStatus,
    SubmissionAccepted,
    SubmissionList,
    SubmissionStatus,
    VersionConflictResponse,
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
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


#: A whole-number query argument as ``inputs.int_arg`` reads it.
WHOLE = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def _status_change(*statuses: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {"status": {"enum": list(statuses)}},
        "required": ["status"],
    }
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _with_address(model: str) -> dict[str, Any]:
    """A JSON body of ``model`` that must name the image's address (no file attached)."""
    return {
        "allOf": [{"$ref": REF.format(model=model)}],
        "properties": {"image_url": {"type": "string", "format": "uri"}},
        "required": ["image_url"],
    }


def _body(model: str, description: str = "") -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model)}}},
    }


def _moderators(summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    """An operation that needs a moderator's Bearer token."""
    return {
        "summary": summary,
        "security": [{"bearer": []}],
        **more,
        "responses": {**responses, **_errors(401, 403)},
    }


# Operations beside the readers' (built in ``document``): volunteers, partners, moderators.
def _more_paths() -> dict[str, Any]:
    return {
        "/api/v1/feedback": {
            "post": {
                "summary": "Say whether a verdict was right (readers' tools)",
                "requestBody": _body("FeedbackIn"),
                "responses": {"201": _json("Recorded", "Recorded"), **_errors(400, 404, 429)},
            },
            "get": _moderators(
                "Readers' feedback, counted per entry",
                {"200": _json("ItemList", "One row per entry")},
            ),
        },
        "/api/v1/submissions": {
            "post": {
                "summary": "Report a suspected known fake (anyone; a token names the reporter)",
                "description": (
                    "Multipart with `image` (or `video`) and the fields of SubmissionIn, or "
                    "JSON SubmissionIn with `image_url`. An `Idempotency-Key` header makes "
                    "a retried request count once. Answers 202 with a status link."
                ),
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="SubmissionIn")}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "image": {"type": "string", "format": "binary"},
                                    "claim": {"type": "string"},
                                },
                                "required": ["image"],
                            }
                        },
                    },
                },
                "responses": {
                    "202": _json("SubmissionAccepted", "Stored for review"),
                    **_errors(400, 413, 415, 422, 429),
                },
            },
            "get": _moderators(
                "Reports, oldest first, with what each looks like",
                {"200": _json("SubmissionList", "A page of reports"), **_errors(400)},
                parameters=[
                    _query("status", {"enum": ["open", *SUBMISSION_STATUSES]}),
                    _query("limit", WHOLE, "at most 200 are sent"),
                    _query("after", WHOLE),
                ],
            ),
        },
        "/api/v1/submissions/{submission_id}": {
            "get": {
                "summary": "A report's status, for its status link (`token`) or moderators",
                "parameters": [
                    _path("submission_id"),
                    _query("token", {"type": "string"}, "from the status link"),
                ],
                "responses": {
                    "200": _json("SubmissionStatus", "The report's status"),
                    **_errors(401, 404),
                },
            }
        },
        "/api/v1/submissions/bulk": {
            "post": {
                "summary": "Many reports, one JSON SubmissionIn per line (partners' tokens)",
                "security": [{"bearer": []}],
                "requestBody": {
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "202": _json("BulkResult", "One result per line"),
                    **_errors(401, 403, 413),
                },
            }
        },
        **{
            f"/api/v1/submissions/{{submission_id}}/{action}": {
                "post": _moderators(
                    summary,
                    {
                        "200": _json(answer, "Done"),
                        **_errors(400, 404, 409),
                    },
                    parameters=[_path("submission_id")],
                    # Approving takes the report as it is when no fields are sent.
                    requestBody={**_body(model), "required": action != "approve"},
                )
            }
            for action, summary, model, answer in (
                ("approve", "Publish a report as a new entry", "EntryPatch", "EntryEnvelope"),
                ("merge", "Add a report's image to an entry", "MergeRequest", "EntryEnvelope"),
                ("reject", "Reject a report, with the reason", "RejectRequest", "ReviewStatus"),
                ("request-info", "Ask the reporter for more", "InfoRequest", "ReviewStatus"),
            )
        },
        "/api/v1/entries/{entry_id}/status": {
            "post": _moderators(
                "Publish, disable or retract an entry (`status`)",
                {"200": _json("EntryEnvelope", "The entry"), **_errors(400, 404)},
                parameters=[_path("entry_id")],
                requestBody=_body("EntryStatusChange"),
            )
        },
        "/api/v1/negatives": {
            "get": _moderators(
                "The negative bank, newest first",
                {"200": _json("NegativeList", "A page of items"), **_errors(400)},
                parameters=[
                    _query("kind", {"enum": list(NEGATIVE_KINDS)}),
                    _query("status", {"enum": ["active", "retracted"]}),
                    _query("limit", WHOLE, "at most 200 are sent"),
                    _query("after", WHOLE),
                ],
            ),
            "post": _moderators(
                "Add material that is not evidence (multipart `image`, or JSON `image_url`)",
                {
                    "201": _json("NegativeEnvelope", "Added"),
                    **_errors(400, 409, 413, 415, 422),
                },
                requestBody={
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": REF.format(model="NegativeIn")}},
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "image": {"type": "string", "format": "binary"},
                                    "kind": {"type": "string"},
                                },
                                "required": ["image"],
                            }
                        },
                    },
                },
            ),
        },
        "/api/v1/negatives/{negative_id}/status": {
            "post": _moderators(
                "Retract or restore an item of the negative bank (`status`)",
                {"200": _json("NegativeEnvelope", "The item"), **_errors(400, 404)},
                parameters=[_path("negative_id")],
                requestBody=_status_change("active", "retracted"),
            )
        },
        "/api/v1/negatives/{negative_id}/thumbnail.jpg": {
            "get": _moderators(
                "An item's picture",
                {
                    "200": {
                        "description": "JPEG",
                        "content": {"image/jpeg": {"schema": {"type": "string"}}},
                    },
                    **_errors(404),
                },
                parameters=[_path("negative_id")],
            )
        },
        "/api/v1/audit": {
            "get": _moderators(
                "The audit log (`target`: e.g. entry:12)",
                {"200": _json("ItemList", "Events, newest first")},
                parameters=[_query("target", {"type": "string"})],
            )
        },
        "/api/v1/check-page": {
            "post": _moderators(
                "Check every image of a post at once",
                {"200": _json("PageCheckReport", "One row per image"), **_errors(400, 422)},
                requestBody=_body("PageCheckRequest"),
            )
        },
        "/api/v1/health/live": {
            "get": {
                "summary": "Liveness: the process answers",
                "responses": {"200": {"description": "Alive"}},
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
        "/api/v1/docs": {
            "get": {
                "summary": "This document for people",
                "responses": {
                    "200": {
                        "description": "HTML",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


def _readers_paths() -> dict[str, Any]:
    """The readers' operations (check, entries, fingerprints, health, videos)."""
    return {
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
                                    "image_url": {
                                        "type": "string",
                                        "description": "for search links; ignored if not a URL",
                                    },
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
                    {"name": "after", "in": "query", "schema": WHOLE},
                    _query("limit", WHOLE, "at most 100 are sent"),
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
                    {"name": "since", "in": "query", "schema": WHOLE},
                    {"name": "at", "in": "query", "schema": WHOLE},
                    {"name": "after", "in": "query", "schema": WHOLE},
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
                "responses": {
                    "200": {
                        "description": "The entry (`format=jsonld`: schema.org JSON-LD)",
                        "content": {
                            "application/json": {"schema": {"$ref": REF.format(model="EntryOut")}},
                            "application/ld+json": {"schema": {"type": "object"}},
                        },
                    },
                    **_errors(404),
                },
            },
            "patch": _moderators(
                "Edit an entry (fields of EntryPatch; `version` guards against lost edits)",
                {
                    "200": _json("EntryEnvelope", "The entry as saved"),
                    "409": _json("VersionConflictResponse", "Changed by someone else"),
                    **_errors(400, 404),
                },
                parameters=[_path("entry_id")],
                requestBody=_body("EntryEdit"),
            ),
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
                    "required": True,
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
                    },
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
    }


@cache
def document() -> dict[str, Any]:
    models = [
        BulkResult,
        CheckRequestHashes,
        CheckRequestUrl,
        CheckResponse,
        EntryEdit,
        EntryEnvelope,
        EntryList,
        EntryOut,
        EntryPatch,
        EntryStatusChange,
        ErrorResponse,
        FeedbackIn,
        FingerprintPage,
        Health,
        InfoRequest,
        ItemList,
        MergeRequest,
        NegativeEnvelope,
        NegativeIn,
        NegativeList,
        PageCheckReport,
        PageCheckRequest,
        Recorded,
        RejectRequest,
        ReviewStatus,
        SubmissionAccepted,
        SubmissionIn,
        SubmissionList,
        SubmissionStatus,
        VersionConflictResponse,
        VideoStatus,
    ]
    _, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=REF
    )
    paths = {**_readers_paths(), **_more_paths()}
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"] = {
                **_errors(400, 503),
                # Refused by the HTTP server before the app (gunicorn's, or nginx's, limit on
                # the request line): a plain page, not JSON.
                "414": {"description": "The address is longer than the server accepts."},
                **operation["responses"],
            }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OriginCheck API",
            "version": "1.0",
            "description": (
                "Is this image a known fake or misused? Send an image, get its true origin."
            ),
        },
        "paths": paths,
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
