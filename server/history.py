"""An entry's public story, read from the audit log: who reviewed it and what changed.

Readers judge a fact-check by who stands behind it and how it was corrected. The audit
log already holds every write with its state before and after; this turns the events of
one entry into sentences, keeping what is public (dates, which fields, the reviewer's
chosen display name) and leaving out what is not (tokens, e-mail, moderators' notes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: Public fields of an entry's audit state, in the words of its page.
FIELD_WORDS = {
    "title": "title",
    "category": "verdict",
    "rating": "rating",
    "claim": "false claim",
    "claim_date": "claim date",
    "origin": "what the image really is",
    "appearances": "where it was spread",
    "sources": "debunks and sources",
    "images": "images",
}

ACTION_WORDS = {
    "create": "Published",
    "publish": "Published again",
    "disable": "Taken down for review",
    "retract": "Retracted",
    "add_video": "Reference video added",
    "merge_into": "A reader's report added",
}


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    what: str


def reviewer(events: list[dict[str, Any]]) -> str | None:
    """The display name of the moderator who published the entry (a signed-in person;
    an import or a partner's token has no one to name)."""
    for event in sorted(events, key=lambda e: e["id"]):
        if event["action"] == "create" and event["actor"].startswith("user:"):
            return event["actor"].partition(" ")[2] or None
    return None


def public_changes(events: list[dict[str, Any]]) -> list[Change]:
    """Newest first; an edit names the fields it changed, and one that changed nothing
    public (a re-save) is left out."""
    changes = []
    for event in sorted(events, key=lambda e: e["id"], reverse=True):
        at = dt.datetime.fromisoformat(event["at"])
        if event["action"] == "edit":
            fields = _changed(event["before"] or {}, event["after"] or {})
            if fields:
                changes.append(Change(at, "Corrected: " + ", ".join(fields)))
        elif event["action"] == "merge_into":
            fields = _changed(event["before"] or {}, event["after"] or {})
            if fields:
                changes.append(Change(at, f"A reader's report added: {', '.join(fields)}"))
        elif event["action"] in ACTION_WORDS:
            changes.append(Change(at, ACTION_WORDS[event["action"]]))
    return changes


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [words for key, words in FIELD_WORDS.items() if before.get(key) != after.get(key)]
