"""Moderators' web pages: the queue, reviews, entry edits, audit, post checks, accounts.

Server-rendered, signed in with Flask-Login, every form CSRF-protected (Flask-WTF);
input is validated by the same pydantic schemas as the JSON API, and every action
goes through the same functions (``review.py``, ``moderation_store.py``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from ..articles import report_from_article
from ..auth import password_problem, web_role
from ..checks import find_matches
from ..errors import ApiError
from ..fetch import FetchError, fetch, fetch_policy
from ..inputs import int_arg
from ..links import base_url
from ..mail import queue_mail
from ..matching.decode import ImageError
from ..matching.video import is_video
from ..negatives import add_negative
from ..pagecheck import check_page
from ..records import (
    CATEGORY_LABELS,
    NEGATIVE_KINDS,
    NEGATIVE_LABELS,
    ROLES,
    SUBMISSION_STATUSES,
    EntryPatch,
    NegativeIn,
    PageCheckRequest,
    Provenance,
)
from ..review import OPEN, approve, candidates, entry_image, merge, reject, request_info
from ..store import (
    DuplicateImage,
    DuplicateNegative,
    DuplicateVideo,
    InvalidState,
    LastAdmin,
    Merged,
    NotFound,
    VersionConflict,
    get_moderation,
    get_store,
)
from ..store.moderation import audit_dict
from ..submissions import create_submission
from ..videos import add_video

bp = Blueprint("moderation", __name__, url_prefix="/moderation")

QUEUE_PAGE = 50  # reports per page of the queue


def _origin_from_form(form: dict[str, str]) -> dict[str, Any]:
    return {
        "description": form.get("origin_description", ""),
        "url": form.get("origin_url") or None,
        "author": form.get("origin_author") or None,
        "date": form.get("origin_date") or None,
    }


#: The edit form's rows of links: field names (``source-0-url``) and the row's fields.
LINK_ROWS = {
    "sources": ("source", ("url", "publisher", "title", "date")),
    "appearances": ("appearance", ("url", "publisher", "date", "language", "claim")),
}


def _patch_from_form() -> EntryPatch:
    """What a form sets. A field present but empty clears it (a rating, a claim date);
    sources and appearances come as rows that keep every field, so a save loses nothing
    (they used to be rebuilt from one URL per line, wiping publishers, titles, dates)."""
    form = request.form.to_dict()
    data: dict[str, Any] = {
        key: form[key] for key in ("title", "category", "claim") if form.get(key)
    }
    for key in ("rating", "claim_date"):
        if key in form:
            data[key] = form[key].strip() or None
    if form.get("origin_description"):
        data["origin"] = _origin_from_form(form)
    if "sources" in form:  # the review page's box: one URL per line
        data["sources"] = [{"url": u} for u in form["sources"].split() if u]
    for field, (prefix, _names) in LINK_ROWS.items():
        if f"{prefix}-0-url" in form:
            data[field] = _link_rows(form, field)
    return EntryPatch.model_validate(data)


def _link_rows(form: dict[str, str], field: str) -> list[dict[str, Any]]:
    """The rows of ``field`` with a URL (clearing a row's URL removes the row)."""
    prefix, names = LINK_ROWS[field]
    rows = []
    for n in range(200):
        if f"{prefix}-{n}-url" not in form:
            break
        row = {name: form.get(f"{prefix}-{n}-{name}", "").strip() or None for name in names}
        if row["url"]:
            rows.append(row)
    return rows


def _form_values(entry: dict[str, Any] | None = None) -> dict[str, Any]:
    """The edit form's values: an entry's (as JSON), or, after a refused save, what the
    moderator sent, so that nothing they typed is lost."""
    if entry is not None:
        origin = entry["origin"]
        return {
            "title": entry["title"],
            "category": entry["category"],
            "rating": entry.get("rating") or "",
            "claim": entry["claim"],
            "claim_date": entry.get("claim_date") or "",
            "origin_description": origin["description"],
            "origin_url": origin.get("url") or "",
            "origin_author": origin.get("author") or "",
            "origin_date": origin.get("date") or "",
            "sources": entry["sources"],
            "appearances": entry["appearances"],
        }
    form = request.form.to_dict()
    values: dict[str, Any] = {k: v for k, v in form.items() if "-" not in k}
    for field in LINK_ROWS:
        values[field] = _link_rows(form, field)
    return values


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


@bp.get("/")
@web_role("moderator")
def queue() -> str:
    """Oldest first, a page at a time; what each report looks like was found once, in
    the background, when it arrived (``review.analyze_submission``)."""
    status = request.args.get("status", "open")
    if status != "open" and status not in SUBMISSION_STATUSES:
        abort(400)
    statuses = list(OPEN) if status == "open" else [status]
    after = int_arg("after", None)
    store = get_moderation()
    feedback = store.feedback_counts()
    threshold = current_app.config["FEEDBACK_FLAG_THRESHOLD"]
    flagged = {k: v for k, v in feedback.items() if v.get("not_a_match", 0) >= threshold}
    submissions = store.submissions(statuses, limit=QUEUE_PAGE + 1, after=after)
    more = len(submissions) > QUEUE_PAGE
    submissions = submissions[:QUEUE_PAGE]
    found = {sub.id: candidates(sub) for sub in submissions}
    shown = {c["entry_id"] for f in found.values() if f for c in f["entries"][:2]}
    entries = get_store().get_entries(sorted(shown | set(flagged)))
    return render_template(
        "moderation/queue.html",
        submissions=submissions,
        looks_like=found,
        entries=entries,
        status=status,
        total=store.count_submissions(statuses),
        next_after=submissions[-1].id if more else None,
        flagged=[(entries.get(k), v) for k, v in flagged.items()],
    )


@bp.get("/submissions/<id:submission_id>")
@web_role("moderator")
def review(submission_id: int) -> str:
    find = request.args.get("find", "").strip()
    return _review_page(submission_id, find, _entries_named(find) if find else None)


@bp.post("/submissions/<id:submission_id>/find")
@web_role("moderator")
def find_by_image(submission_id: int) -> str:
    """Entries that another picture matches (the reader's full check), to merge into:
    the moderator may know the circulating copy that the report does not look like."""
    upload = request.files.get("image")  # MAX_CONTENT_LENGTH caps it (a 413)
    data = upload.read() if upload else b""
    if not data:
        flash(_("Choose an image file to search by."))
        return _review_page(submission_id, "", [])
    try:
        found = find_matches(data)[1]
    except ImageError as exc:
        flash(_("That file could not be read as an image: %(why)s", why=exc.message))
        return _review_page(submission_id, "", [])
    ids = [f.entry_id for f in found or []]
    entries = get_store().get_entries(ids)
    return _review_page(submission_id, "", [entries[i] for i in ids if i in entries])


def _entries_named(find: str) -> list[Any]:
    """An entry by its number, or entries whose title, claim or pictures' words hold
    ``find`` (every status: a disabled entry can take a report too)."""
    if find.lstrip("#").isascii() and find.lstrip("#").isdigit():
        entry = get_store().get_entry(int(find.lstrip("#")) % 2**63, published_only=False)
        return [entry] if entry else []
    return get_moderation().entries(find, limit=10)


def _review_page(submission_id: int, find: str, found_entries: list[Any] | None) -> str:
    store = get_moderation()
    try:
        sub = store.submission(submission_id, with_image=True)
    except NotFound:
        abort(404)
    found = candidates(sub) or {"entries": [], "submissions": []}
    entries = get_store().get_entries([c["entry_id"] for c in found["entries"]])
    # Once approved or merged, the entry it went into: its videos' indexing shows here.
    into = get_store().get_entry(sub.entry_id, published_only=False) if sub.entry_id else None
    return render_template(
        "moderation/review.html",
        sub=sub,
        into=into,
        evidence=json.loads(sub.evidence_urls or "[]"),
        analysis=sub.analysis,
        candidates=[
            (entries[c["entry_id"]], c) for c in found["entries"] if c["entry_id"] in entries
        ],
        similar_submissions=found["submissions"],
        categories=CATEGORY_LABELS,
        provenance=Provenance.model_validate_json(sub.provenance) if sub.provenance else None,
        video_size=store.video_size(submission_id),
        find=find,
        found_entries=found_entries,
    )


@bp.get("/submissions/<id:submission_id>/thumbnail.jpg")
@web_role("moderator")
def submission_thumbnail(submission_id: int) -> Response:
    try:
        return Response(get_moderation().thumbnail(submission_id), mimetype="image/jpeg")
    except NotFound:
        abort(404)


@bp.post("/submissions/<id:submission_id>/<action>")
@web_role("moderator")
def act(submission_id: int, action: str) -> Any:
    form = request.form
    try:
        if action == "approve":
            entry_id = approve(submission_id, _patch_from_form(), g.actor)
            flash(_("Approved: entry %(id)s is live for every check within a second.", id=entry_id))
        elif action == "merge":
            number = {"entry_id": form.get("entry_number") or form.get("entry_id") or "0"}
            target = int_arg("entry_id", 0, args=number) or 0
            merged = merge(submission_id, target, g.actor)
            flash(_merged_message(target, merged))
        elif action == "reject":
            reject(submission_id, form.get("reason", "").strip() or "No reason given", g.actor)
            flash(_("Submission %(id)s rejected.", id=submission_id))
        elif action == "request-info":
            request_info(
                submission_id, form.get("message", "").strip() or "Please add evidence.", g.actor
            )
            flash(_("Asked the submitter of %(id)s for more.", id=submission_id))
        else:
            abort(404)
    except ValidationError as exc:
        flash(_("Not saved: %(why)s", why=_problems(exc)))
        return redirect(url_for("moderation.review", submission_id=submission_id))
    except (NotFound, InvalidState, DuplicateImage, ValueError) as exc:
        flash(_("Not saved: %(why)s", why=exc))
        return redirect(url_for("moderation.review", submission_id=submission_id))
    return redirect(url_for("moderation.queue"))


def _merged_message(entry_id: int, merged: Merged) -> str:
    if merged.image_added and merged.appearance_added:
        return _(
            "Merged into entry %(id)s: added its image as a new variant and where it was "
            "seen, with the reporter's words and language.",
            id=entry_id,
        )
    if merged.image_added:
        return _("Merged into entry %(id)s: added its image as a new variant.", id=entry_id)
    if merged.appearance_added:
        return _(
            "Merged into entry %(id)s: added where it was seen, with the reporter's words "
            "and language.",
            id=entry_id,
        )
    return _(
        "Merged into entry %(id)s: the entry already had this exact image and address; "
        "the report stays linked to the entry with its claim.",
        id=entry_id,
    )


@bp.get("/entries")
@web_role("moderator")
def entries() -> str:
    query = request.args.get("q", "").strip() or None
    return render_template(
        "moderation/entries.html", entries=get_moderation().entries(query), q=query or ""
    )


@bp.route("/entries/<id:entry_id>/edit", methods=["GET", "POST"])
@web_role("moderator")
def edit(entry_id: int) -> Any:
    entry = get_store().get_entry(entry_id, published_only=False)
    if entry is None:
        abort(404)
    page = {
        "entry": entry,
        "categories": CATEGORY_LABELS,
        "audit": _audit(entry_id),
        "standing": get_store().entry_status(entry_id),
        "reports": get_moderation().submissions_of_entry(entry_id),
    }
    if request.method == "POST":
        try:
            version = int(request.form.get("version", "0"))
            get_moderation().edit_entry(entry_id, version, _patch_from_form(), g.actor)
        except VersionConflict as conflict:
            # Theirs beside yours, field by field; the form keeps yours, and saving it
            # again (now against their version) is a deliberate choice.
            theirs = conflict.current
            return render_template(
                "moderation/edit.html",
                **page,
                values=_form_values(),
                version=theirs["version"],
                conflict=_form_values(theirs),
            ), 409
        except ValidationError as exc:
            return render_template(
                "moderation/edit.html",
                **page,
                values=_form_values(),
                version=request.form.get("version", "0"),
                conflict=None,
                error=_("Not saved: %(why)s", why=_problems(exc)),
            ), 400
        flash(_("Entry %(id)s saved.", id=entry_id))
        return redirect(url_for("moderation.edit", entry_id=entry_id))
    return render_template(
        "moderation/edit.html",
        **page,
        values=_form_values(entry.model_dump(mode="json")),
        version=entry.version,
        conflict=None,
    )


def _sent_or_fetched(field: str, url: str | None, max_bytes: int) -> bytes | None:
    """The file sent in ``field``, else the one at ``url`` (the safe fetcher), else None."""
    upload = request.files.get(field)
    if upload is not None and upload.filename:
        return upload.read()
    if url:
        return fetch(url, replace(fetch_policy(), max_bytes=max_bytes))
    return None


@bp.post("/entries/<id:entry_id>/videos")
@web_role("moderator")
def add_video_form(entry_id: int) -> Any:
    """The edit page's "Add a reference video": a file or an address."""
    request.max_content_length = current_app.config["VIDEO_MAX_BYTES"]
    url = (request.form.get("url") or "").strip() or None
    role = request.form.get("role", "original")
    try:
        data = _sent_or_fetched("video", url, current_app.config["VIDEO_MAX_BYTES"])
        if data is None:
            flash(_("Choose a video file or give its address."))
            return redirect(url_for("moderation.edit", entry_id=entry_id))
        if role not in ROLES or not is_video(data):
            flash(_("Not added: this file is not a video (MP4, MOV, WebM, animated GIF or WebP)."))
            return redirect(url_for("moderation.edit", entry_id=entry_id))
        video_id = add_video(entry_id, data, role=role, source_url=url, actor=g.actor)
    except (ApiError, ImageError) as exc:  # FetchError is an ApiError
        flash(_("Not added: %(why)s", why=exc.message))
    except DuplicateVideo as exc:
        flash(_("This entry has this video already (video %(id)s).", id=exc.video_id))
    else:
        flash(_("Video %(id)s added; its frames are being indexed.", id=video_id))
    return redirect(url_for("moderation.edit", entry_id=entry_id))


@bp.post("/entries/<id:entry_id>/images")
@web_role("moderator")
def add_image_form(entry_id: int) -> Any:
    """The edit page's "Add an image": a file or an address, as the original or a copy."""
    url = (request.form.get("url") or "").strip() or None
    role = request.form.get("role", "misused")
    if role not in ROLES:
        abort(400)
    try:
        data = _sent_or_fetched("image", url, current_app.config["FETCH_MAX_BYTES"])
        if data is None:
            flash(_("Choose an image file or paste its URL."))
            return redirect(url_for("moderation.edit", entry_id=entry_id))
        image_id = get_moderation().add_image(
            entry_id, entry_image(data, role, entry_id, url), g.actor
        )
    except (ApiError, ImageError) as exc:  # FetchError is an ApiError
        flash(_("Not added: %(why)s", why=exc.message))
    except DuplicateImage as exc:
        flash(_("Not added: this image is already stored, in entry %(id)s.", id=exc.entry_id))
    else:
        flash(_("Image %(id)s added; every check finds it within a second.", id=image_id))
    return redirect(url_for("moderation.edit", entry_id=entry_id))


@bp.post("/entries/<id:entry_id>/images/<id:image_id>/<action>")
@web_role("moderator")
def change_image(entry_id: int, image_id: int, action: str) -> Any:
    store = get_moderation()
    try:
        if action == "original":
            store.set_original(entry_id, image_id, g.actor)
            flash(_("Image %(id)s is now the original.", id=image_id))
        elif action == "remove":
            if request.form.get("confirm") != "yes":
                flash(_("Image %(id)s is kept: to remove it, confirm.", id=image_id))
            else:
                store.remove_image(entry_id, image_id, g.actor)
                flash(_("Image %(id)s removed from the entry.", id=image_id))
        else:
            abort(404)
    except NotFound:
        abort(404)
    except InvalidState:
        flash(_("Image %(id)s is kept: an entry keeps at least one image.", id=image_id))
    return redirect(url_for("moderation.edit", entry_id=entry_id))


@bp.post("/entries/<id:entry_id>/status")
@web_role("moderator")
def set_status(entry_id: int) -> Any:
    status = request.form.get("status", "")
    if status not in ("published", "disabled", "retracted"):
        abort(400)
    reason = request.form.get("reason", "").strip()[:2000]
    if status != "published" and not (reason and request.form.get("confirm") == "yes"):
        flash(
            _(
                "Entry %(id)s is unchanged: to take it down, give the reason and confirm.",
                id=entry_id,
            )
        )
        return redirect(url_for("moderation.edit", entry_id=entry_id))
    try:
        get_moderation().set_entry_status(entry_id, status, g.actor, reason or None)
    except NotFound:
        abort(404)
    flash(_("Entry %(id)s is now %(status)s.", id=entry_id, status=_(status)))
    return redirect(url_for("moderation.edit", entry_id=entry_id))


def _audit(entry_id: int) -> list[dict[str, Any]]:
    return [audit_dict(e) for e in get_moderation().audit(target=f"entry:{entry_id}")]


@bp.get("/audit")
@web_role("moderator")
def audit() -> str:
    user_id = int_arg("user", None)
    target = request.args.get("target") or None
    events = [audit_dict(e) for e in get_moderation().audit(target=target, user_id=user_id)]
    return render_template("moderation/audit.html", events=events, user_id=user_id, target=target)


NEGATIVES_PAGE = 50


@bp.route("/negatives", methods=["GET", "POST"])
@web_role("moderator")
def negatives() -> Any:
    """The negative bank: add an item (upload or address), retract or restore one."""
    store = get_moderation()
    if request.method == "POST":
        form = request.form
        action = form.get("action")
        try:
            if action == "add":
                upload = request.files.get("image")
                data = upload.read() if upload is not None and upload.filename else None
                url = form.get("image_url", "").strip() or None
                if url is not None:
                    url = str(PageCheckRequest.model_validate({"url": url}).url)
                fields = NegativeIn.model_validate(
                    {"kind": form.get("kind", ""), "note": form.get("note", "")}
                )
                negative_id = add_negative(fields, data, url, g.actor)
                flash(_("Item %(id)s is in the negative bank for every check.", id=negative_id))
            elif action in ("retract", "restore"):
                negative_id = int(form.get("negative_id") or "0")
                status = "retracted" if action == "retract" else "active"
                store.set_negative_status(negative_id, status, g.actor)
                flash(
                    _("Item %(id)s retracted.", id=negative_id)
                    if action == "retract"
                    else _("Item %(id)s restored.", id=negative_id)
                )
            else:
                abort(400)
        except ValidationError as exc:
            flash(_("Not saved: %(why)s", why=_problems(exc)))
        except (ApiError, FetchError, ImageError) as exc:
            flash(_("Not saved: %(why)s", why=exc.message))
        except (NotFound, DuplicateNegative, ValueError) as exc:
            flash(_("Not saved: %(why)s", why=exc))
        return redirect(url_for("moderation.negatives"))
    kind = request.args.get("kind") or None
    kind = kind if kind in NEGATIVE_KINDS else None
    status = "retracted" if request.args.get("status") == "retracted" else "active"
    after = int_arg("after", None)
    items = store.negatives(kind=kind, status=status, after=after, limit=NEGATIVES_PAGE + 1)
    return render_template(
        "moderation/negatives.html",
        items=items[:NEGATIVES_PAGE],
        next_after=items[NEGATIVES_PAGE - 1].id if len(items) > NEGATIVES_PAGE else None,
        kinds=NEGATIVE_LABELS,
        kind_filter=kind,
        status=status,
    )


@bp.get("/negatives/<id:negative_id>/thumbnail.jpg")
@web_role("moderator")
def negative_thumbnail(negative_id: int) -> Response:
    try:
        thumbnail = get_moderation().negative_thumbnail(negative_id)
    except NotFound:
        abort(404)
    if thumbnail is None:
        abort(404)
    return Response(thumbnail, mimetype="image/jpeg")


@bp.route("/check-page", methods=["GET", "POST"])
@web_role("moderator")
def check_page_view() -> Any:
    report, error = None, None
    url = request.form.get("url", "").strip()
    if request.method == "POST":
        try:
            url = str(PageCheckRequest.model_validate({"url": url}).url)
            report = check_page(url, fetch_policy(), current_app.config["PAGE_CHECK_BUDGET"])
        except ValidationError:
            error = _("Enter a full http(s) address of a post or page.")
        except (FetchError, ImageError) as exc:
            error = exc.message
    return render_template("moderation/check_page.html", report=report, error=error, url=url)


@bp.route("/import-article", methods=["GET", "POST"])
@web_role("moderator")
def import_article() -> Any:
    """A published fact-check's address → a prefilled report, opened for review."""
    url = request.form.get("url", "").strip()
    if request.method == "GET":
        return render_template("moderation/import_article.html", url=url, error=None)
    try:
        url = str(PageCheckRequest.model_validate({"url": url}).url)
        submission_id = create_submission(report_from_article(url), None, g.actor)
    except ValidationError:
        error = _("Enter the full http(s) address of a fact-check article.")
    except (ApiError, FetchError, ImageError) as exc:
        error = exc.message
    else:
        flash(_("A draft from the fact-check: check its fields, then approve or merge it."))
        return redirect(url_for("moderation.review", submission_id=submission_id))
    return render_template("moderation/import_article.html", url=url, error=error), 400


@bp.route("/users", methods=["GET", "POST"])
@web_role("admin")
def users() -> Any:
    """Accounts and API tokens: add, change a role, deactivate, reset a password, create
    and revoke tokens. Every change ends the account's sign-ins and is audited; the
    last active admin cannot be demoted or deactivated."""
    store = get_moderation()
    new_token = invite_link = None
    if request.method == "POST":
        form = request.form
        email = form.get("email", "")
        try:
            action = form.get("action", "role")
            if action == "invite":
                invite_link = _invite(store, email, form.get("name", ""), form.get("role", ""))
            elif action == "add":
                problem = password_problem(form.get("password", ""))
                if problem:
                    raise ValueError(problem)
                store.create_user(
                    email,
                    form.get("name", "").strip() or email,
                    form["password"],
                    form.get("role", "volunteer"),
                    g.actor,
                )
                flash(_("Account created for %(email)s.", email=email))
            elif action == "role":
                store.set_role(email, form.get("role", ""), g.actor)
                flash(
                    _(
                        "%(email)s is now %(role)s; their sign-ins have ended.",
                        email=email,
                        role=_(form.get("role", "")),
                    )
                )
            elif action in ("deactivate", "activate"):
                store.set_active(email, action == "activate", g.actor)
                flash(
                    _("%(email)s is active.", email=email)
                    if action == "activate"
                    else _("%(email)s is deactivated.", email=email)
                )
            elif action == "password":
                problem = password_problem(form.get("password", ""))
                if problem:
                    raise ValueError(problem)
                store.set_password(email, form["password"], g.actor)
                flash(_("New password set for %(email)s; their sign-ins have ended.", email=email))
            elif action == "token":
                days = int(form.get("days") or current_app.config["TOKEN_DAYS"])
                new_token = store.create_token(
                    form.get("name", "").strip() or "unnamed", form.get("role", ""), days, g.actor
                )
            elif action == "revoke":
                store.revoke_token(int(form.get("token_id", "0")), g.actor)
                flash(_("Token %(id)s is revoked.", id=form.get("token_id")))
            else:
                abort(400)
        except (NotFound, LastAdmin, ValueError, IntegrityError) as exc:
            message = (
                "That email already has an account." if isinstance(exc, IntegrityError) else exc
            )
            flash(_("Not saved: %(why)s", why=message))
        if new_token is None and invite_link is None:
            return redirect(url_for("moderation.users"))
    return render_template(
        "moderation/users.html",
        users=store.users(),
        tokens=store.tokens(),
        new_token=new_token,
        invite_link=invite_link,
    )


def _invite(store: Any, email: str, name: str, role: str) -> str | None:
    """Invite by mail; without mail, the link for the admin to pass on (shown once)."""
    days = current_app.config["INVITE_DAYS"]
    token = store.invite_user(email, name.strip() or email, role, g.actor, days)
    link = base_url() + url_for("auth.invite", token=token)
    body = _(
        "%(who)s invites you to OriginCheck as %(role)s. Choose your password here "
        "(the link works for %(days)s days, once):\n\n%(link)s",
        who=g.actor.label.partition(" ")[2] or "OriginCheck",
        role=_(role),
        days=days,
        link=link,
    )
    if queue_mail(email, _("Your invitation to OriginCheck"), body) is None:
        return link
    flash(_("Invitation sent to %(email)s.", email=email))
    return None
