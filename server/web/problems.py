"""What a refused form says, field by field, in words a reporter understands.

pydantic's messages ("Input should be a valid URL, relative URL without a base") were
shown raw at the top of the form; each field now gets its own sentence beside it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from pydantic import ValidationError

from ..records import N_

#: pydantic error types → a sentence; ``{max_length}`` and the like come from its context.
SENTENCES = {
    "url_parsing": N_("Enter a whole address, starting with https://"),
    "url_scheme": N_("Enter an address starting with https:// or http://"),
    "url_too_long": N_("This address is too long (at most {max_length} characters)."),
    "date_from_datetime_parsing": N_("Enter a real date (year, month, day)."),
    "date_parsing": N_("Enter a real date (year, month, day)."),
    "date_type": N_("Enter a real date (year, month, day)."),
    "string_too_long": N_("Too long: at most {max_length} characters."),
    "string_too_short": N_("This cannot be empty."),
    "too_long": N_("At most {max_length} of these."),
    "missing": N_("This is needed."),
    "literal_error": N_("Choose one of the options."),
    "string_pattern_mismatch": N_("This does not look right; check what you typed."),
}


def field_messages(exc: ValidationError) -> dict[str, str]:
    """The first problem of each top-level field (``evidence_urls`` line 2 → the field)."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if field in messages:
            continue
        sentence = _(SENTENCES[error["type"]]) if error["type"] in SENTENCES else error["msg"]
        try:
            sentence = sentence.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
        if len(error["loc"]) > 1 and isinstance(error["loc"][1], int):
            sentence = _("Line %(n)s: %(problem)s", n=error["loc"][1] + 1, problem=sentence)
        messages[field] = sentence
    return messages
