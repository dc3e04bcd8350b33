"""Moderators' JSON API under ``/api/v1`` (Bearer tokens with the moderator role)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for

from ..auth import api_role
from ..errors import ApiError
from ..fetch import fetch, fetch_policy
from ..inputs import int_arg
from ..links import base_url, public_entry
from ..matching.video import is_video
from ..negatives import add_negative
from ..pagecheck import check_page
from ..records import (
    NEGATIVE_KINDS,
    ROLES,
    SUBMISSION_STATUSES,
    EntryPatch,
    NegativeIn,
    NegativeOut,
    PageCheckRequest,
)
from ..review import OPEN, approve, candidates, merge, reject
from ..review import request_info as ask_for_more
from ..store import (
    DuplicateNegative,
    DuplicateVideo,
    InvalidState,
    NotFound,
    VersionConflict,
    get_moderation,
    get_store,
    get_videos,
)
from ..store.moderation import audit_dict
from ..videos import add_video
from .schemas import (
    CheckRequestUrl,
    EntryEdit,
    EntryStatusChange,
    InfoRequest,
    MergeRequest,
    RejectRequest,
    parse,
)
from .submissions import submission_json

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise ApiError("bad_json", "The body is not a JSON object.")
    return body


def _entry(entry_id: int) -> dict[str, Any]:
    entry = get_store().get_entry(entry_id, published_only=False)
    if entry is None:
        raise ApiError("not_found", f"No entry {entry_id}.", 404)
    return public_entry(entry.model_dump(mode="json"))


@bp.errorhandler(NotFound)
def not_found(exc: NotFound) -> tuple[Response, int]:
    return jsonify(error={"code": "not_found", "message": f"Not found: {exc}"}), 404


@bp.errorhandler(InvalidState)
def invalid_state(exc: InvalidState) -> tuple[Response, int]:
    return jsonify(error={"code": "already_reviewed", "message": str(exc)}), 409


@bp.get("/submissions")
@api_role("moderator")
def submissions() -> Response:
    """Reports oldest first, ``limit`` (≤ 200) at a time after id ``after``; ``next`` is
    the following page. Each carries what it looks like (found once, in the
    background: ``analysis`` says whether that is done)."""
    wanted = request.args.get("status", "pending")
    if wanted != "open" and wanted not in SUBMISSION_STATUSES:
        raise ApiError(
            "invalid_request", f"status must be open or one of {', '.join(SUBMISSION_STATUSES)}."
        )
    statuses = list(OPEN) if wanted == "open" else [wanted]
    limit = max(1, min(int_arg("limit", 50) or 50, 200))
    after = int_arg("after", None)
    rows = get_moderation().submissions(statuses, limit=limit + 1, after=after)
    items = []
    for sub in rows[:limit]:
        item = submission_json(sub)
        item["analysis"] = sub.analysis
        item["candidates"] = candidates(sub)
        items.append(item)
    next_url = None
    if len(rows) > limit:
        args = {"status": wanted, "limit": limit, "after": rows[limit - 1].id}
        next_url = base_url() + url_for("moderation_api.submissions", **args)
    return jsonify(items=items, next=next_url)


@bp.post("/submissions/<id:submission_id>/approve")
@api_role("moderator")
def approve_submission(submission_id: int) -> Response:
    patch = parse(EntryPatch, _body())
    entry_id = approve(submission_id, patch, g.actor)
    return jsonify(entry=_entry(entry_id))


@bp.post("/submissions/<id:submission_id>/merge")
@api_role("moderator")
def merge_submission(submission_id: int) -> Response:
    request_ = parse(MergeRequest, _body())
    merge(submission_id, request_.entry_id, g.actor)
    return jsonify(entry=_entry(request_.entry_id))


@bp.post("/submissions/<id:submission_id>/reject")
@api_role("moderator")
def reject_submission(submission_id: int) -> Response:
    reject(submission_id, parse(RejectRequest, _body()).reason, g.actor)
    return jsonify(id=submission_id, status="rejected")


@bp.post("/submissions/<id:submission_id>/request-info")
@api_role("moderator")
def request_info(submission_id: int) -> Response:
    ask_for_more(submission_id, parse(InfoRequest, _body()).message, g.actor)
    return jsonify(id=submission_id, status="needs_info")


@bp.patch("/entries/<id:entry_id>")
@api_role("moderator")
def edit_entry(entry_id: int) -> Response | tuple[Response, int]:
    edit = parse(EntryEdit, _body())
    patch = EntryPatch.model_validate(edit.model_dump(exclude={"version"}, exclude_unset=True))
    try:
        get_moderation().edit_entry(entry_id, edit.version, patch, g.actor)
    except VersionConflict as conflict:
        message = (
            f"Entry {entry_id} was changed by someone else (now version "
            f"{conflict.current['version']}); reload and apply your edit again."
        )
        return jsonify(
            error={"code": "version_conflict", "message": message}, current=conflict.current
        ), 409
    return jsonify(entry=_entry(entry_id))


@bp.post("/entries/<id:entry_id>/status")
@api_role("moderator")
def entry_status(entry_id: int) -> Response:
    change = parse(EntryStatusChange, _body())
    get_moderation().set_entry_status(entry_id, change.status, g.actor, change.reason)
    return jsonify(entry=_entry(entry_id))


@bp.post("/entries/<id:entry_id>/videos")
@api_role("moderator")
def add_video_api(entry_id: int) -> tuple[Response, int]:
    """Add a reference video to an entry: multipart ``video`` (``role``, ``source_url``),
    or JSON ``{"url", "role"}`` fetched safely. Indexed in the background: poll
    ``status_url`` until ``status`` is ``done`` (or ``failed``, with ``error``)."""
    request.max_content_length = current_app.config["VIDEO_MAX_BYTES"]
    upload = request.files.get("video")
    if upload is not None:
        data, form = upload.read(), request.form
        role, source_url = form.get("role", "original"), form.get("source_url") or None
    else:
        body = _body()
        if "url" not in body:
            raise ApiError("missing_video", 'Send a multipart field "video", or JSON {"url"}.')
        source_url = str(parse(CheckRequestUrl, {"url": body["url"]}).url)
        role = body.get("role", "original")
        data = fetch(
            source_url, replace(fetch_policy(), max_bytes=current_app.config["VIDEO_MAX_BYTES"])
        )
    if role not in ROLES:
        raise ApiError("invalid_request", f"role must be one of {', '.join(ROLES)}.")
    if not is_video(data):
        raise ApiError(
            "not_a_video", "This file is not a video (MP4, MOV, WebM, animated GIF or WebP).", 415
        )
    try:
        video_id = add_video(entry_id, data, role=role, source_url=source_url, actor=g.actor)
    except DuplicateVideo as exc:
        raise ApiError(
            "duplicate", f"This entry has this video already ({exc.video_id}).", 409
        ) from None
    return jsonify(video=_video(video_id)), 202


@bp.get("/videos/<id:video_id>")
@api_role("moderator")
def video_api(video_id: int) -> Response:
    """A reference video's indexing: ``status``, ``progress`` (0-1), ``error``."""
    return jsonify(video=_video(video_id))


def _video(video_id: int) -> dict[str, Any]:
    found = get_videos().get(video_id)
    if found is None:
        raise ApiError("not_found", f"No video {video_id}.", 404)
    body = found.model_dump(mode="json")
    body["status_url"] = base_url() + url_for("moderation_api.video_api", video_id=video_id)
    if body["poster_url"]:
        body["poster_url"] = base_url() + body["poster_url"]
    return body


@bp.get("/negatives")
@api_role("moderator")
def negatives() -> Response:
    """The negative bank, newest first, ``limit`` (≤ 200) at a time before id ``after``;
    ``kind`` and ``status`` (active, retracted) filter it."""
    kind = request.args.get("kind") or None
    status = request.args.get("status", "active")
    if kind is not None and kind not in NEGATIVE_KINDS:
        raise ApiError("invalid_request", f"kind must be one of {', '.join(NEGATIVE_KINDS)}.")
    if status not in ("active", "retracted"):
        raise ApiError("invalid_request", "status must be active or retracted.")
    limit = max(1, min(int_arg("limit", 50) or 50, 200))
    after = int_arg("after", None)
    rows = get_moderation().negatives(kind=kind, status=status, after=after, limit=limit + 1)
    next_url = None
    if len(rows) > limit:
        args = {"status": status, "limit": limit, "after": rows[limit - 1].id}
        if kind:
            args["kind"] = kind
        next_url = base_url() + url_for("moderation_api.negatives", **args)
    return jsonify(items=[_negative(n) for n in rows[:limit]], next=next_url)


@bp.post("/negatives")
@api_role("moderator")
def add_negative_api() -> tuple[Response, int]:
    """Add material that is not evidence: multipart with ``image`` (and ``kind``,
    ``note``, ``source_url``), or JSON with ``image_url``."""
    upload = request.files.get("image")
    if upload is not None:
        form = {k: v for k, v in request.form.items() if k != "image_url"}
        fields, data, url = parse(NegativeIn, form), upload.read(), None
    else:
        body = _body()
        url = body.pop("image_url", None)
        fields, data = parse(NegativeIn, body), None
        if url is not None:
            url = str(parse(CheckRequestUrl, {"url": url}).url)
    try:
        negative_id = add_negative(fields, data, url, g.actor)
    except DuplicateNegative as exc:
        raise ApiError("duplicate", str(exc), 409) from None
    return jsonify(negative=_negative(get_moderation().negative(negative_id))), 201


@bp.post("/negatives/<id:negative_id>/status")
@api_role("moderator")
def negative_status(negative_id: int) -> Response:
    status = _body().get("status")
    if status not in ("active", "retracted"):
        raise ApiError("invalid_request", "status must be active or retracted.")
    row = get_moderation().set_negative_status(negative_id, status, g.actor)
    return jsonify(negative=_negative(row))


@bp.get("/negatives/<id:negative_id>/thumbnail.jpg")
@api_role("moderator")
def negative_thumbnail(negative_id: int) -> Response:
    thumbnail = get_moderation().negative_thumbnail(negative_id)
    if thumbnail is None:
        raise ApiError("not_found", f"Item {negative_id} has no picture of its own.", 404)
    return Response(thumbnail, mimetype="image/jpeg")


def _negative(row: NegativeOut) -> dict[str, Any]:
    item = row.model_dump(mode="json")
    item["thumbnail_url"] = base_url() + url_for(
        "moderation_api.negative_thumbnail", negative_id=row.id
    )
    return item


@bp.get("/audit")
@api_role("moderator")
def audit() -> Response:
    events = get_moderation().audit(target=request.args.get("target") or None)
    return jsonify(items=[audit_dict(e) for e in events])


@bp.get("/feedback")
@api_role("moderator")
def feedback() -> Response:
    counts = get_moderation().feedback_counts()
    return jsonify(items=[{"entry_id": k, **v} for k, v in sorted(counts.items())])


@bp.post("/check-page")
@api_role("moderator")
def check_page_api() -> Response:
    url = str(parse(PageCheckRequest, _body()).url)
    return jsonify(check_page(url, fetch_policy(), current_app.config["PAGE_CHECK_BUDGET"]))
