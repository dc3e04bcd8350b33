"""The report form, ``/submit``: anyone may send a suspected known fake.

A signed-in volunteer's reports carry their name and are listed on the page with
their status. The form is validated by ``records.SubmissionIn``, as the API is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from pydantic import ValidationError

from ..auth import web_actor
from ..errors import ApiError
from ..fetch import FetchError
from ..limits import limiter
from ..matching.decode import ImageError
from ..records import SUBMISSION_STATUSES, SubmissionIn
from ..store import NotFound, get_moderation
from ..submissions import (
    STATUS_WORDS,
    allow_video_uploads,
    create_submission,
    status_page,
    submit_limit,
    valid_status_token,
)
from .problems import field_messages

bp = Blueprint("submit", __name__)


class SubmitForm(FlaskForm):
    """CSRF protection only; the fields are validated by SubmissionIn."""


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(submit_limit, methods=["POST"])
def form() -> Any:
    csrf = SubmitForm()
    values = (
        request.form.to_dict()
        if request.method == "POST"
        else {
            "image_url": request.args.get("image_url", ""),
            # The post is most often in the reporter's own language; they may change it.
            "language": request.accept_languages.best or "",
        }
    )
    if request.method == "POST":
        allow_video_uploads()
    if request.method == "POST" and csrf.validate_on_submit():
        upload = request.files.get("image")
        data = upload.read() if upload is not None and upload.filename else None
        try:
            fields = SubmissionIn.model_validate(
                {k: v for k, v in values.items() if k != "csrf_token"}
            )
            submission_id = create_submission(fields, data, web_actor())
        except ValidationError as exc:
            return render_template(
                "submit.html",
                form=csrf,
                values=values,
                error=_("Nothing was sent yet: please correct what is marked below."),
                problems=field_messages(exc),
                mine=_mine(),
            ), 400
        except (ApiError, ImageError, FetchError) as exc:
            # Every refusal here is about the image or video: say so beside it.
            return render_template(
                "submit.html",
                form=csrf,
                values=values,
                error=_("Nothing was sent yet: please correct what is marked below."),
                problems={"image": exc.message},
                mine=_mine(),
            ), exc.status
        # Every reporter, signed in or not, gets the page that follows the report.
        return redirect(status_page(submission_id))
    return render_template("submit.html", form=csrf, values=values, mine=_mine())


def _mine() -> list[Any]:
    if not current_user.is_authenticated:
        return []
    return get_moderation().submissions(list(SUBMISSION_STATUSES), submitter_id=current_user.id)


@bp.get("/submit/<id:submission_id>")
def status(submission_id: int) -> str | tuple[str, int]:
    """A report's status for whoever holds its link (signed in or not), in words."""
    if not valid_status_token(submission_id, request.args.get("token", "")):
        abort(404)
    try:
        sub = get_moderation().submission(submission_id)
    except NotFound:
        abort(404)
    return render_template(
        "submit_status.html", sub=sub, state=STATUS_WORDS.get(sub.status, sub.status)
    )
