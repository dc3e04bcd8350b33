"""Receiving a suspected known fake: fingerprint it on arrival and queue it.

The JSON API, the bulk endpoint and the web form all call ``create_submission``, so
a broken upload is refused the same way everywhere and moderators find every report
in the same shape.
"""

from __future__ import annotations

from flask import current_app

from .errors import ApiError
from .fetch import fetch, fetch_policy
from .records import SubmissionIn
from .references import prepare
from .store import Actor, get_moderation


def create_submission(fields: SubmissionIn, data: bytes | None, actor: Actor | None) -> int:
    """Fingerprint the image (uploaded, or fetched from its URL) and queue it."""
    if data is None:
        if fields.image_url is None:
            raise ApiError("missing_image", "Send the image as a file or give its image_url.")
        data = fetch(str(fields.image_url), fetch_policy())
    image = prepare(data, role="misused", max_pixels=current_app.config["MAX_IMAGE_PIXELS"])
    return get_moderation().add_submission(fields, image, data, actor)


def submit_limit() -> str:
    return current_app.config["RATELIMIT_SUBMIT"]
