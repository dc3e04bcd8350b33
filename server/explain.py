"""How a match was found, in words a reader understands (API ``Match.explanation``).

Readers see a verdict about an image they did not make; they are owed the reason in
plain words, hedged when the match is unconfirmed, and never a bare number or a
"distance None". The boxes say where: ``query_box`` is outlined on the reader's image
by the check page and the extension card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Evidence(Protocol):
    """What a match found (``matcher.Found``, or an API ``Match`` shown on a page)."""

    confirmed: bool
    method: str
    distance: int | None
    inliers: int | None
    agreement: float | None
    words: float | None


def _english(text: str, **values: Any) -> str:
    return text % values if values else text


def explanation(f: Evidence, whole: bool, _: Callable[..., str] = _english) -> str:
    """One or two sentences: which part of the reader's image, how it was found, and
    how much of it agrees. ``whole``: the matched region is (nearly) all of the image.
    ``_``: gettext, when a page tells it in the reader's language (the API says English)."""
    if f.confirmed:
        where = (
            _("Your image is a copy of a known image")
            if whole
            else _("The outlined part of your image is a copy of a known image")
        )
    else:
        where = (
            _("Your image may be a copy of a known image")
            if whole
            else _("The outlined part of your image may be a copy of a known image")
        )
    if f.method == "pdq":
        how = (
            _("its fingerprint is %(bits)s of 256 bits from the known image's", bits=f.distance)
            if f.distance is not None
            else _("its fingerprint is close to the known image's")
        )
    else:
        how = _(
            "%(points)s distinctive points line up with the known image under one geometry",
            points=f.inliers,
        )
    sentence = f"{where}: {how}"
    if f.agreement is not None:
        sentence += _(
            ", and %(percent)s %% of the area they share agrees pixel by pixel",
            percent=round(f.agreement * 100),
        )
    sentence += "."
    if f.words is not None:
        sentence += " " + _(
            "It says the same words (%(percent)s %% of them found).", percent=round(f.words * 100)
        )
    if not f.confirmed:
        sentence += " " + _("The evidence is not strong enough to be sure.")
    return sentence
