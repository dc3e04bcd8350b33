"""How a match was found, in words a reader understands (API ``Match.explanation``).

Readers see a verdict about an image they did not make; they are owed the reason in
plain words, hedged when the match is unconfirmed, and never a bare number or a
"distance None". The boxes say where: ``query_box`` is outlined on the reader's image
by the check page and the extension card.
"""

from __future__ import annotations

from .matching.matcher import Found


def explanation(f: Found, whole: bool) -> str:
    """One or two sentences: which part of the reader's image, how it was found, and
    how much of it agrees. ``whole``: the matched region is (nearly) all of the image."""
    where = "Your image" if whole else "The outlined part of your image"
    verb = "is a copy of" if f.confirmed else "may be a copy of"
    if f.method == "pdq":
        how = (
            f"its fingerprint is {f.distance} of 256 bits from the known image's"
            if f.distance is not None
            else "its fingerprint is close to the known image's"
        )
    else:
        how = f"{f.inliers} distinctive points line up with the known image under one geometry"
    sentence = f"{where} {verb} a known image: {how}"
    if f.agreement is not None:
        sentence += (
            f", and {round(f.agreement * 100)} % of the area they share agrees pixel by pixel"
        )
    sentence += "."
    if f.words is not None:
        sentence += f" It says the same words ({round(f.words * 100)} % of them found)."
    if not f.confirmed:
        sentence += " The evidence is not strong enough to be sure."
    return sentence
