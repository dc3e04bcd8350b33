"""Receiving a suspected known fake: fingerprint it on arrival and queue it.

The JSON API, the bulk endpoint and the web form all call ``create_submission``, so
a broken upload is refused the same way everywhere and moderators find every report
in the same shape. Whoever sent a report follows it through a status link whose token
is derived from the server's secret (``status_token``): nothing to store, the same
link for a retried request, and no way to read another report by counting ids.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from flask import current_app, request, url_for
from flask_babel import force_locale, gettext

from .checks import video_limits
from .errors import ApiError
from .fetch import fetch, fetch_policy
from .jobs import enqueue
from .limits import charge_work, client_key, require_work_budget
from .links import base_url
from .mail import mail_enabled, queue_mail
from .matching.decode import decode
from .matching.video import is_video, key_frames
from .records import N_, SubmissionIn
from .references import jpeg, prepare
from .store import Actor, IdempotencyConflict, NewImage, get_moderation


def create_submission(
    fields: SubmissionIn,
    data: bytes | None,
    actor: Actor | None,
    idempotency_key: str | None = None,
) -> int:
    """Fingerprint the image (uploaded, or fetched from its URL) and queue it.

    A request retried with the same ``idempotency_key`` (the ``Idempotency-Key``
    header) answers with the first one's id instead of queueing the report twice.
    """
    if fields.notify_email and not mail_enabled():
        fields = fields.model_copy(update={"notify_email": None})  # nothing would be sent
    if data is None:
        if fields.image_url is None:
            raise ApiError("missing_image", "Send the image as a file or give its image_url.")
        data = fetch(str(fields.image_url), fetch_policy())
    require_work_budget()
    config = current_app.config
    video = None
    if is_video(data):  # kept whole for the entry; its first frame stands for it here
        if len(data) > config["SUBMISSION_VIDEO_MAX_BYTES"]:
            raise ApiError("video_too_large", "The video is over the report size limit.", 413)
        _, first = key_frames(data, replace(video_limits(config), max_frames=1))
        video, data = data, jpeg(first[0].image.convert("RGB"), 90)
    elif len(data) > config["MAX_CONTENT_LENGTH"]:  # the door lets videos by, not images
        raise ApiError("image_too_large", "The image is over the upload limit.", 413)
    image = prepare(data, role="misused", max_pixels=config["MAX_IMAGE_PIXELS"])
    charge_work(image.fingerprint.width * image.fingerprint.height / 1e6)
    kept = kept_image(data, image)
    store = get_moderation()
    if store.open_image_bytes() + len(kept) + len(video or b"") > config["SUBMISSIONS_QUOTA_BYTES"]:
        raise ApiError(
            "submissions_full",
            "Moderators have too many reports waiting; please try again later.",
            503,
        )
    key = None
    if idempotency_key:
        sender = actor.label if actor else f"anonymous:{client_key()}"
        key = hashlib.sha256(f"{sender}|{idempotency_key}".encode()).hexdigest()
    try:
        submission_id = store.add_submission(fields, image, kept, actor, key, video)
    except IdempotencyConflict as exc:
        raise ApiError(
            "idempotency_key_reused",
            f"This Idempotency-Key was already used for another image "
            f"(submission {exc.submission_id}).",
            409,
        ) from None
    enqueue("analyze_submission", submission_id)  # what it looks like, found once
    return submission_id


def allow_video_uploads() -> None:
    """Raise this request's body limit to a video report's (images keep theirs)."""
    config = current_app.config
    request.max_content_length = max(
        config["MAX_CONTENT_LENGTH"], config["SUBMISSION_VIDEO_MAX_BYTES"]
    )


def kept_image(data: bytes, image: NewImage) -> bytes:
    """What is stored for moderators: the bytes as sent, or, past
    ``SUBMISSION_KEEP_BYTES``, a JPEG at most ``SUBMISSION_KEEP_SIDE`` pixels long
    (a 20 MB upload was stored whole, ~20 MB of database per report)."""
    config = current_app.config
    if len(data) <= config["SUBMISSION_KEEP_BYTES"]:
        return data
    decoded = decode(
        data, max_pixels=config["MAX_IMAGE_PIXELS"], work_side=config["SUBMISSION_KEEP_SIDE"]
    )
    return jpeg(decoded.image, 90)


def status_token(submission_id: int) -> str:
    """The secret part of a report's status link."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"submission-status:{submission_id}".encode()
    return hmac.new(secret, message, "sha256").hexdigest()[:32]


def status_url(submission_id: int) -> str:
    """The link that lets whoever sent a report follow it (and nobody else)."""
    return base_url() + url_for(
        "submissions.status", submission_id=submission_id, token=status_token(submission_id)
    )


def status_page(submission_id: int) -> str:
    """The same link for people: a page instead of JSON."""
    return base_url() + url_for(
        "submit.status", submission_id=submission_id, token=status_token(submission_id)
    )


def valid_status_token(submission_id: int, token: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    return hmac.compare_digest(status_token(submission_id).encode(), token.encode())


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]


#: Where a report is, in words (the status page and the reporter's mail).
STATUS_WORDS = {
    "pending": N_("waiting for a moderator"),
    "needs_info": N_("waiting for more from you: see the moderator's note"),
    "approved": N_("published as a known fake"),
    "merged": N_("added to a known fake that was already in the database"),
    "rejected": N_("not published: see the moderator's note"),
}
DECIDED = ("approved", "merged", "rejected")


def tell_reporter(submission_id: int) -> None:
    """Mail the reporter who asked for it what became of their report, in the language
    of the post they reported when the pages speak it; once it is decided, forget the
    address."""
    store = get_moderation()
    sub = store.submission(submission_id)
    if not sub.notify_email:
        return
    language = sub.language.split("-")[0].lower() if sub.language else "en"
    with force_locale(language if language in ("en", "el") else "en"):
        subject = gettext(
            "Your OriginCheck report %(id)s: %(status)s",
            id=sub.id,
            status=gettext(STATUS_WORDS[sub.status]),
        )
        lines = [subject, ""]
        if sub.reason:
            lines += [gettext("Moderator's note: %(note)s", note=sub.reason), ""]
        if sub.entry_id and sub.status in ("approved", "merged"):
            entry = base_url() + url_for("web.entry", entry_id=sub.entry_id)
            lines += [gettext("The entry: %(url)s", url=entry), ""]
        lines += [
            gettext("Follow your report: %(url)s", url=status_page(submission_id)),
            "",
            gettext(
                "You get this mail because you gave this address with your report. "
                "It is deleted once the report is decided."
            ),
        ]
    queue_mail(sub.notify_email, subject, "\n".join(lines))
    if sub.status in DECIDED:
        store.forget_notify_email(submission_id)
