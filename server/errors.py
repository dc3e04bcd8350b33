"""The refusal any part of a request can raise: an error code, a message, a status.

Clients (the extension, partner scripts) branch on ``code``; ``message`` is for
people. ``server/api/errors.py`` turns it into the API's JSON error shape; image and
fetch refusals (``matching.decode.ImageError``, ``fetch.FetchError``) carry the same
three fields.
"""

from __future__ import annotations


class ApiError(Exception):
    """A refusal with a code and a status, raised from anywhere in a request."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
