"""Volunteers' side: send a suspected known fake (API, bulk JSON Lines, web form).

Anyone may submit (rate-limited); a token or a signed-in volunteer puts their name
on it. The image is fingerprinted on arrival, so a broken upload is refused at once
and moderators see duplicates when they open the queue.
"""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from pydantic import ValidationError

from .api import base_url, fetch_policy, parse
from .auth import api_role, bearer_actor, web_actor
from .decode import ImageError
from .errors import ApiError
from .fetch import FetchError, fetch
from .limits import limiter
from .moderation_store import Actor, NotFound, get_moderation
from .references import prepare
from .schemas import SubmissionIn

bp = Blueprint("submit", __name__)

MAX_BULK_LINES = 500


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


def create_submission(fields: SubmissionIn, data: bytes | None, actor: Actor | None) -> int:
    """Fingerprint the image (uploaded, or fetched from its URL) and queue it."""
    if data is None:
        if fields.image_url is None:
            raise ApiError("missing_image", "Send the image as a file or give its image_url.")
        data = fetch(str(fields.image_url), fetch_policy())
    image = prepare(data, role="misused", max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
    return get_moderation().add_submission(fields, image, data, actor)


def accepted(submission_id: int) -> tuple[Response, int]:
    status_url = base_url() + url_for("submit.status", submission_id=submission_id)
    return jsonify(id=submission_id, status="pending", status_url=status_url), 202


@bp.post("/api/v1/submissions")
@limiter.limit(submit_limit)
def create() -> tuple[Response, int]:
    actor = bearer_actor()
    upload = request.files.get("image")
    if upload is not None:
        fields = parse(SubmissionIn, {k: v for k, v in request.form.items()})
        return accepted(create_submission(fields, upload.read(), actor))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("bad_json", "Send multipart with an image, or a JSON object with image_url.")
    return accepted(create_submission(parse(SubmissionIn, body), None, actor))


@bp.get("/api/v1/submissions/<int:submission_id>")
def status(submission_id: int) -> Response:
    try:
        sub = get_moderation().submission(submission_id)
    except NotFound:
        raise ApiError("not_found", f"No submission {submission_id}.", 404) from None
    return jsonify(id=sub.id, status=sub.status, reason=sub.reason, entry_id=sub.entry_id)


@bp.post("/api/v1/submissions/bulk")
@api_role("volunteer")
def bulk() -> tuple[Response, int]:
    """Trusted partners: one JSON submission (with image_url) per line."""
    lines = request.get_data(as_text=True).splitlines()
    if len(lines) > MAX_BULK_LINES:
        raise ApiError("too_many_lines", f"At most {MAX_BULK_LINES} lines per request.", 413)
    results: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
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


class SubmitForm(FlaskForm):
    """CSRF protection only; the fields are validated by SubmissionIn."""


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def form() -> Any:
    csrf = SubmitForm()
    values = (
        request.form.to_dict()
        if request.method == "POST"
        else {"image_url": request.args.get("image_url", "")}
    )
    if request.method == "POST" and csrf.validate_on_submit():
        upload = request.files.get("image")
        data = upload.read() if upload is not None and upload.filename else None
        try:
            fields = SubmissionIn.model_validate(
                {k: v for k, v in values.items() if k != "csrf_token"}
            )
            submission_id = create_submission(fields, data, web_actor())
        except ValidationError as exc:
            problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
            return render_template(
                "submit.html", form=csrf, values=values, error=problems, mine=_mine()
            ), 400
        except (ApiError, ImageError, FetchError) as exc:
            return render_template(
                "submit.html", form=csrf, values=values, error=exc.message, mine=_mine()
            ), exc.status
        flash(f"Thank you. Submission {submission_id} is waiting for a moderator.")
        return redirect(url_for("submit.form"))
    return render_template("submit.html", form=csrf, values=values, mine=_mine())


def _mine() -> list[Any]:
    if not current_user.is_authenticated:
        return []
    return get_moderation().submissions(
        ["pending", "needs_info", "approved", "merged", "rejected"], submitter_id=current_user.id
    )


def submission_json(sub: Any) -> dict[str, Any]:
    return {
        "id": sub.id,
        "status": sub.status,
        "submitter": sub.submitter_label,
        "claim": sub.claim,
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
