"""The negative bank's use cases: add material that is not evidence, retract it.

Moderators add an item from the moderation page or the API (an upload or an image
URL, fetched under the same rules as every server-side fetch) and partners import
JSON Lines (``importer.import_negative_lines``); all three prepare the image the way
entries' images are prepared, so matching sees the same keypoints and hashes.
What the bank does to a check is ``matching/negatives.py``.
"""

from __future__ import annotations

from flask import current_app

from .errors import ApiError
from .fetch import fetch, fetch_policy
from .records import NegativeIn
from .references import prepare
from .store import Actor, get_moderation


def add_negative(
    fields: NegativeIn, data: bytes | None, image_url: str | None, actor: Actor
) -> int:
    """Prepare the image and store it in the bank; every worker sees it within a second."""
    if data is None:
        if not image_url:
            raise ApiError("missing_image", "Send the image as a file or give its image_url.")
        data = fetch(image_url, fetch_policy())
    image = prepare(
        data,
        role="original",
        max_pixels=current_app.config["MAX_IMAGE_PIXELS"],
        source_url=str(fields.source_url or image_url or "") or None,
    )
    return get_moderation().add_negative(fields, image, actor)
