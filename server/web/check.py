"""Public pages: check an image without the extension, read an entry."""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from ..cache import get_cache
from ..checks import check_image
from ..fetch import FetchError, fetch, fetch_policy
from ..history import public_changes, reviewer
from ..inputs import int_arg
from ..jsonld import fact_check
from ..limits import check_limit, client_key, limiter
from ..links import base_url, public_check, public_entry
from ..matching.decode import ImageError, decode
from ..matching.video import is_video
from ..records import CATEGORY_LABELS, FEEDBACK_VERDICTS, MAX_ID, N_
from ..references import thumbnail_jpeg
from ..store import NotFound, get_moderation, get_store, get_videos
from ..store.moderation import audit_dict

bp = Blueprint("web", __name__)


SAMPLES = Path(__file__).parent.parent / "static" / "samples"


@bp.route("/", methods=["GET", "POST"])
@limiter.limit(check_limit, methods=["POST"])
def index() -> str | tuple[str, int]:
    if request.method != "POST":  # GET, and HEAD: never a check (security review F5)
        sample = request.args.get("sample")
        if sample in sample_names():
            data = (SAMPLES / sample).read_bytes()
            return render_template(
                "index.html",
                check=public_check(check_image(data)),
                sample=sample,
                checked=checked_picture(data),
            )
        return render_template("index.html")
    config = current_app.config
    request.max_content_length = max(config["MAX_CONTENT_LENGTH"], config["CLIP_MAX_BYTES"])
    upload = request.files.get("image")
    url = request.form.get("url", "").strip()
    try:
        if upload is not None and upload.filename:
            data = upload.read()
            result = check_image(data)
        elif url:
            data = fetch(url, fetch_policy())
            result = check_image(data, image_url=url)
        else:
            return render_template(
                "index.html", error=_("Choose an image file or paste its URL.")
            ), 400
    except (ImageError, FetchError) as exc:
        return render_template("index.html", error=_(exc.message), url=url), exc.status
    check = public_check(result)
    return render_template(
        "index.html",
        check=check,
        url=url,
        checked=None if is_video(data) else checked_picture(data),  # a clip: see its matches
        permalink=keep_result(check),
    )


#: Result links: kept as long as the verdict cache keeps verdicts (CACHE_TTL), then gone.
RESULT_KEY = "result-link:{}"
RESULT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def keep_result(check: dict[str, Any]) -> str:
    """A link to this verdict that anyone may open for a day. The verdict is kept and
    nothing of the image: not its pixels, not its hashes (which would identify it)."""
    token = secrets.token_urlsafe(16)
    kept = {k: v for k, v in check.items() if k not in ("hashes", "cached", "took_ms")}
    at = dt.datetime.now(dt.UTC).isoformat()
    get_cache().set(RESULT_KEY.format(token), {"check": kept, "at": at})
    return base_url() + url_for("web.result", token=token)


@bp.get("/results/<token>")
def result(token: str) -> str | tuple[str, int]:
    kept = get_cache().get(RESULT_KEY.format(token)) if RESULT_TOKEN.fullmatch(token) else None
    if kept is None:
        message = N_(
            "This result link has expired: results are kept for a day, without the image. "
            "Check the image again to see today's answer."
        )
        return current_app.extensions["origincheck.error_page"](410, message)
    return render_template("index.html", check=kept["check"], shared_at=kept["at"])


def checked_picture(data: bytes) -> dict[str, object]:
    """The reader's image, small, as a data URL (it is theirs: nothing is stored), and
    its size, so that matched regions can be outlined on it in its own pixels."""
    decoded = decode(data, max_pixels=current_app.config["MAX_IMAGE_PIXELS"], work_side=640)
    jpeg = thumbnail_jpeg(decoded.image.convert("RGB"))
    return {
        "src": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode(),
        "width": decoded.width,
        "height": decoded.height,
    }


@bp.get("/robots.txt")
def robots() -> Response:
    """Everything public may be indexed; moderation and the API's writes may not."""
    body = (
        "User-agent: *\nDisallow: /moderation/\nDisallow: /login\n"
        f"Sitemap: {base_url()}{url_for('web.sitemap')}\n"
    )
    return Response(body, mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The published entries, newest first (50,000 at most, the sitemap protocol's cap)."""
    root = base_url()
    urls = "".join(
        f"<url><loc>{root}{url_for('web.entry', entry_id=i)}</loc>"
        f"<lastmod>{changed.date().isoformat()}</lastmod></url>"
        for i, changed in get_store().published_ids(50_000)
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{root}/</loc></url><url><loc>{root}{url_for('web.entries')}</loc></url>"
        f"{urls}</urlset>"
    )
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    response = current_app.send_static_file("favicon.svg")
    response.mimetype = "image/svg+xml"
    return response


def sample_names() -> list[str]:
    """Misused copies of the demo images, for a first check without finding one."""
    return sorted(path.name for path in SAMPLES.glob("*.jpg"))


@bp.post("/feedback")
@limiter.limit(lambda: current_app.config["RATELIMIT_FEEDBACK"])
def feedback() -> Response:
    """A reader's "helpful" / "doesn't match" on a match shown on the check page: the same
    record as the extension's (one say per reader and entry), then the entry's page."""
    entry_id = request.form.get("entry_id", type=int)
    verdict = request.form.get("verdict", "")
    if entry_id is None or not 1 <= entry_id <= MAX_ID or verdict not in FEEDBACK_VERDICTS:
        abort(400)
    try:
        get_moderation().add_feedback(entry_id, verdict, None, None, client_key())
    except NotFound:
        abort(404)
    flash(_("Thank you: your answer was recorded, and moderators will see it."))
    return redirect(url_for("web.entry", entry_id=entry_id))


BROWSE_PAGE = 20


@bp.get("/entries")
def entries() -> str:
    """The database, for anyone: newest first, searchable, by verdict, page by page."""
    query = request.args.get("q", "").strip()[:200] or None
    category = request.args.get("category") or None
    if category not in CATEGORY_LABELS:
        category = None
    before = int_arg("before", None)
    since, until = _day_arg("since"), _day_arg("until")
    found = get_store().browse(
        query=query,
        category=category,
        before=before,
        limit=BROWSE_PAGE + 1,
        since=since,
        until=until,
    )
    older = None
    kept = {"q": query, "category": category, "since": since, "until": until}
    if len(found) > BROWSE_PAGE:
        found = found[:BROWSE_PAGE]
        older = url_for("web.entries", before=found[-1].id, **kept)
    return render_template(
        "entries.html",
        entries=[public_entry(e.model_dump(mode="json")) for e in found],
        q=query or "",
        category=category or "",
        since=since,
        until=until,
        categories=CATEGORY_LABELS,
        older=older,
        newest=before is not None,
    )


def _day_arg(name: str) -> dt.date | None:
    """A YYYY-MM-DD query argument; anything else is no filter (a form left empty)."""
    try:
        return dt.date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


@bp.get("/entries/<id:entry_id>")
def entry(entry_id: int) -> str | tuple[str, int]:
    found = get_store().get_entry(entry_id)
    if found is None:
        standing = get_store().entry_status(entry_id)
        if standing is not None:  # it was public: say what became of it, and why
            return render_template("entry_gone.html", entry_id=entry_id, standing=standing), 410
        abort(404)
    events = [audit_dict(e) for e in get_moderation().audit(target=f"entry:{entry_id}")]
    return render_template(
        "entry.html",
        entry=public_entry(found.model_dump(mode="json")),
        jsonld=fact_check(found, base_url()),
        reviewer=reviewer(events),
        changes=public_changes(events),
    )


@bp.get("/images/<id:image_id>/thumbnail.jpg")
def thumbnail(image_id: int) -> Response:
    """A stored image, for the public while its entry is published (410 once it is
    disabled or retracted, which can be for privacy or legal reasons), and for
    moderators always. Shared caches keep it an hour at most, so a retraction reaches
    them within the hour."""
    return _stored_picture(get_store().thumbnail(image_id))


@bp.get("/videos/<id:video_id>/poster.jpg")
def poster(video_id: int) -> Response:
    """A reference video's first kept frame, under the thumbnails' rules."""
    return _stored_picture(get_videos().poster(video_id))


def _stored_picture(found: tuple[bytes, str] | None) -> Response:
    if found is None:
        abort(404)
    data, status = found
    moderator = current_user.is_authenticated and current_user.actor.can("moderator")
    if status != "published" and not moderator:
        abort(410)
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = (
        "public, max-age=3600" if status == "published" else "private, no-store"
    )
    return response
