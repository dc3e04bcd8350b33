"""What a refused form says, field by field, in words a reporter understands.

pydantic's messages ("Input should be a valid URL, relative URL without a base") were
shown raw at the top of the form; each field now gets its own sentence beside it.
"""

from __future__ import annotations

from pydantic import ValidationError

#: pydantic error types → a sentence; ``{max_length}`` and the like come from its context.
SENTENCES = {
    "url_parsing": "Enter a whole address, starting with https://",
    "url_scheme": "Enter an address starting with https:// or http://",
    "url_too_long": "This address is too long (at most {max_length} characters).",
    "date_from_datetime_parsing": "Enter a real date (year, month, day).",
    "date_parsing": "Enter a real date (year, month, day).",
    "date_type": "Enter a real date (year, month, day).",
    "string_too_long": "Too long: at most {max_length} characters.",
    "string_too_short": "This cannot be empty.",
    "too_long": "At most {max_length} of these.",
    "missing": "This is needed.",
    "literal_error": "Choose one of the options.",
}


def field_messages(exc: ValidationError) -> dict[str, str]:
    """The first problem of each top-level field (``evidence_urls`` line 2 → the field)."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if field in messages:
            continue
        sentence = SENTENCES.get(error["type"], error["msg"])
        try:
            sentence = sentence.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            pass
        if len(error["loc"]) > 1 and isinstance(error["loc"][1], int):
            sentence = f"Line {error['loc'][1] + 1}: {sentence}"
        messages[field] = sentence
    return messages
