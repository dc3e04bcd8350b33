"""Volunteers' and partners' JSON API: send a suspected known fake, follow it, bulk-send.

Anyone may submit (rate-limited); a Bearer token puts its name on the report. The
bulk endpoint takes JSON Lines from partners with any token.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import ValidationError

from ..auth import api_role, bearer_actor
from ..errors import ApiError
from ..fetch import FetchError
from ..limits import limiter
from ..matching.decode import ImageError
from ..records import SubmissionIn
from ..store import NotFound, get_moderation
from ..submissions import (
    allow_video_uploads,
    create_submission,
    status_url,
    submit_limit,
    valid_status_token,
)
from .schemas import parse

bp = Blueprint("submissions", __name__, url_prefix="/api/v1")

MAX_BULK_LINES = 500


def accepted(submission_id: int) -> tuple[Response, int]:
    status = get_moderation().submission(submission_id).status
    return jsonify(id=submission_id, status=status, status_url=status_url(submission_id)), 202


@bp.post("/submissions")
@limiter.limit(submit_limit)
def create() -> tuple[Response, int]:
    actor = bearer_actor()
    key = request.headers.get("Idempotency-Key", "").strip()[:200] or None
    allow_video_uploads()
    upload = request.files.get("image") or request.files.get("video")
    if upload is not None:
        if any(len(values) > 1 for values in request.form.listvalues()):
            raise ApiError("invalid_request", "Send each form field once.")
        fields = parse(SubmissionIn, {k: v for k, v in request.form.items()})
        return accepted(create_submission(fields, upload.read(), actor, key))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("bad_json", "Send multipart with an image, or a JSON object with image_url.")
    return accepted(create_submission(parse(SubmissionIn, body), None, actor, key))


@bp.get("/submissions/<id:submission_id>")
def status(submission_id: int) -> Response:
    """A report's status and the moderator's note: for the status link's holder, and for
    moderators' tokens; anyone else is told there is no such report."""
    allowed = valid_status_token(submission_id, request.args.get("token", ""))
    if not allowed and request.headers.get("Authorization"):
        actor = bearer_actor()
        allowed = actor is not None and actor.can("moderator")
    try:
        if not allowed:
            raise NotFound(submission_id)
        sub = get_moderation().submission(submission_id)
    except NotFound:
        raise ApiError("not_found", f"No submission {submission_id}.", 404) from None
    return jsonify(id=sub.id, status=sub.status, reason=sub.reason, entry_id=sub.entry_id)


@bp.post("/submissions/bulk")
@api_role("volunteer")
def bulk() -> tuple[Response, int]:
    """Trusted partners: one JSON submission (with image_url) per line."""
    lines = request.get_data(as_text=True).splitlines()
    if len(lines) > MAX_BULK_LINES:
        raise ApiError("too_many_lines", f"At most {MAX_BULK_LINES} lines per request.", 413)
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + current_app.config["BULK_BUDGET"]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if time.monotonic() > deadline:
            # Slow image hosts must not hold a worker; the partner sends these again.
            message = "Not processed in the time allowed for one request; send this line again."
            results.append(
                {"line": number, "error": {"code": "budget_exceeded", "message": message}}
            )
            continue
        try:
            fields = SubmissionIn.model_validate_json(line)
            results.append(
                {
                    "line": number,
                    "id": create_submission(fields, None, g.actor),
                    "status": "pending",
                }
            )
        except ValidationError as exc:
            results.append(
                {
                    "line": number,
                    "error": {"code": "invalid_request", "message": str(exc.errors()[0]["msg"])},
                }
            )
        except (ApiError, ImageError, FetchError) as exc:
            results.append({"line": number, "error": {"code": exc.code, "message": exc.message}})
    return jsonify(items=results), 202


def submission_json(sub: Any) -> dict[str, Any]:
    """A submission as moderators' tools see it (``GET /api/v1/submissions``)."""
    return {
        "id": sub.id,
        "status": sub.status,
        "submitter": sub.submitter_label,
        "claim": sub.claim,
        "language": sub.language,
        "seen_url": sub.seen_url,
        "seen_date": sub.seen_date.isoformat() if sub.seen_date else None,
        "origin_url": sub.origin_url,
        "origin_description": sub.origin_description,
        "evidence_urls": json.loads(sub.evidence_urls or "[]"),
        "notes": sub.notes,
        "image_url": sub.image_url,
        "pdq": sub.pdq,
        "reason": sub.reason,
        "entry_id": sub.entry_id,
        "created_at": sub.created_at.isoformat(),
    }
