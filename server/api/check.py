"""JSON API for readers' tools and partners, under ``/api/v1``.

The check and the read-only entry endpoints are public and CORS-enabled (the
browser extension calls them); nothing here writes to the store.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_cors import CORS

from ..cache import get_cache
from ..checks import check_hash, check_image, get_index_holder
from ..errors import ApiError
from ..fetch import fetch, fetch_policy
from ..inputs import int_arg
from ..jsonld import fact_check
from ..limits import check_limit, client_key, limiter
from ..links import base_url, public_check, public_entry
from ..records import FeedbackIn
from ..store import NotFound, get_moderation, get_store
from ..store.entries import CORE_VARIANTS
from . import openapi, schemas
from .schemas import CheckRequestHashes, CheckRequestUrl, parse

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Readers' tools on any site may check and read; feedback is for the extension (whose
# service worker needs no CORS) and our own pages, so no website can post it for its visitors.
CORS(
    bp,
    resources={r"/api/v1/(check|entries.*|fingerprints|health)": {"origins": "*"}},
    max_age=86400,
)
EXTENSION_SCHEMES = ("chrome-extension://", "moz-extension://", "safari-web-extension://")

PAGE_SIZE = 20
FINGERPRINT_PAGE = 1000  # entries per page of /fingerprints (about 150 KB of core hashes)
MAX_PAGE_SIZE = 100


@bp.post("/check")
@limiter.limit(check_limit)
def check() -> Response:
    """Check one image: multipart ``image``, or JSON ``{"url"}`` or ``{"hashes": {"pdq"}}``.
    A short video clip (``image`` or ``video``) is checked frame by frame."""
    config = current_app.config
    request.max_content_length = max(config["MAX_CONTENT_LENGTH"], config["CLIP_MAX_BYTES"])
    upload = request.files.get("image") or request.files.get("video")
    if upload is not None:
        data = upload.read()
        result = check_image(data, image_url=request.form.get("image_url") or None)
    elif request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ApiError("bad_json", "The body is not a JSON object.")
        if "hashes" in body:
            query = parse(CheckRequestHashes, body)
            result = check_hash(query.hashes.pdq)
        else:
            url = str(parse(CheckRequestUrl, body).url)
            result = check_image(fetch(url, fetch_policy()), image_url=url)
    else:
        raise ApiError(
            "missing_image",
            'Send a multipart field "image", or JSON {"url": ...} or {"hashes": {"pdq": ...}}.',
        )
    return jsonify(public_check(result))


@bp.post("/feedback")
@limiter.limit(lambda: current_app.config["RATELIMIT_FEEDBACK"])
def feedback() -> tuple[Response, int]:
    """A reader's "helpful" / "doesn't match" / "wrong verdict" on a shown annotation."""
    origin = request.headers.get("Origin")
    if origin and origin != base_url() and not origin.startswith(EXTENSION_SCHEMES):
        raise ApiError("cross_site", "Feedback is taken from OriginCheck's own tools only.", 403)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("bad_json", "The body is not a JSON object.")
    item = parse(FeedbackIn, body)
    try:
        get_moderation().add_feedback(
            item.entry_id,
            item.verdict,
            _text(item.page_url),
            _text(item.image_url),
            client_key(),
        )
    except NotFound:
        raise ApiError("not_found", f"No entry {item.entry_id}.", 404) from None
    return jsonify(status="recorded"), 201


@bp.get("/entries/<id:entry_id>")
def entry(entry_id: int) -> Response:
    wanted = request.args.get("format", "json")
    if wanted not in ("json", "jsonld"):
        raise ApiError("invalid_request", "format must be json or jsonld.")
    found = get_store().get_entry(entry_id)
    if found is None:
        raise ApiError("not_found", f"No published entry {entry_id}.", 404)
    if wanted == "jsonld" or request.accept_mimetypes.best == "application/ld+json":
        response = jsonify(fact_check(found, base_url()))
        response.mimetype = "application/ld+json"
        return response
    return jsonify(public_entry(found.model_dump(mode="json")))


@bp.get("/entries")
def entries() -> Response:
    """Published entries, oldest first, ``?q=`` searches title, claim and origin."""
    query = request.args.get("q", "").strip() or None
    after = int_arg("after", None)
    limit = min(int_arg("limit", PAGE_SIZE) or PAGE_SIZE, MAX_PAGE_SIZE)
    items = get_store().list_entries(query=query, after=after, limit=limit + 1)
    next_url = None
    if len(items) > limit:
        items = items[:limit]
        args = {"after": items[-1].id, "limit": limit, **({"q": query} if query else {})}
        next_url = base_url() + request.path + "?" + "&".join(f"{k}={v}" for k, v in args.items())
    return jsonify(items=[public_entry(e.model_dump(mode="json")) for e in items], next=next_url)


@bp.get("/fingerprints")
def fingerprints() -> Response:
    """The bank's PDQ hashes, for a device that matches on its own (private mode).

    A device keeps a copy and asks for the changes since its ``version``; pages carry
    ``next`` until the last. Only published entries' hashes are listed, never anything
    about checks, and the device asks for an entry only when one of them matches. The
    answer is the same for everyone, so it may be cached (60 s, with an ETag).
    """
    since = int_arg("since", 0) or 0
    at = int_arg("at", None)
    after = int_arg("after", 0) or 0
    variants = request.args.get("variants", "core")
    if variants not in ("core", "all"):
        raise ApiError("invalid_request", "variants must be core or all.")
    page = get_store().fingerprints(
        since, at, after, FINGERPRINT_PAGE, CORE_VARIANTS if variants == "core" else None
    )
    next_url = None
    if page.after is not None:
        args = f"since={since}&at={page.version}&after={page.after}&variants={variants}"
        next_url = f"{base_url()}{request.path}?{args}"
    config = current_app.config
    body = schemas.FingerprintPage(
        version=page.version,
        reset=page.reset,
        entries=[
            schemas.FingerprintEntry(
                id=entry_id,
                images=[
                    schemas.FingerprintImage(
                        id=image.id,
                        codes=base64.b64encode(image.codes).decode(),
                        frame_time_s=image.frame_time_s,
                    )
                    for image in images
                ],
            )
            for entry_id, images in page.entries
        ],
        deleted=page.deleted,
        next=next_url,
        thresholds=schemas.Thresholds(
            match=config["MATCH_THRESHOLD"],
            possible=config["POSSIBLE_MATCH_THRESHOLD"],
            min_quality=config["MIN_PDQ_QUALITY"],
        ),
    )
    # Without nulls (most images are no video's frame), but "next" is always said.
    response = jsonify({**body.model_dump(mode="json", exclude_none=True), "next": next_url})
    response.headers["Cache-Control"] = "public, max-age=60"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Readiness: 200 when this node can answer every kind of check, 503 when the store
    or the shared cache and limits are down (checks still degrade gracefully; a load
    balancer should prefer a healthy node). ``/health/live`` only says the process runs."""
    store = get_store()
    store_ok = store.ping()
    counts = store.counts() if store_ok else {"entries": 0, "images": 0}
    index = get_index_holder().current() if store_ok else None
    redis_state = get_cache().state()
    healthy = store_ok and redis_state != "down"
    body = jsonify(
        status="ok" if healthy else "degraded",
        entries=counts["entries"],
        images=counts["images"],
        index_size=len(index.hashes) if index else 0,
        feature_images=len(index.features) if index else 0,
        index_version=index.version if index else -1,
        store=f"{store.dialect}: {'ok' if store_ok else 'down'}",
        redis=redis_state,
    )
    return body, 200 if healthy else 503


@bp.get("/health/live")
def live() -> Response:
    return jsonify(status="alive")


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi.document())


@bp.get("/docs")
def docs() -> str:
    return render_template("docs.html", spec=openapi.document())


# --- helpers -------------------------------------------------------------------


def _text(value: object) -> str | None:
    return str(value) if value is not None else None
