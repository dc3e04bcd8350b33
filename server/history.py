"""An entry's public story, read from the audit log: who reviewed it and what changed.

Readers judge a fact-check by who stands behind it and how it was corrected. The audit
log already holds every write with its state before and after; this turns the events of
one entry into sentences, keeping what is public (dates, which fields, the reviewer's
chosen display name) and leaving out what is not (tokens, e-mail, moderators' notes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .records import N_

#: Public fields of an entry's audit state, in the words of its page.
FIELD_WORDS = {
    "title": N_("title"),
    "category": N_("verdict"),
    "rating": N_("rating"),
    "claim": N_("false claim"),
    "claim_date": N_("claim date"),
    "origin": N_("what the image really is"),
    "appearances": N_("where it was spread"),
    "sources": N_("debunks and sources"),
    "images": N_("images"),
}

ACTION_WORDS = {
    "create": N_("Published"),
    "publish": N_("Published again"),
    "disable": N_("Taken down for review"),
    "retract": N_("Retracted"),
    "add_video": N_("Reference video added"),
    "add_image": N_("Image added"),
    "remove_image": N_("Image removed"),
    "set_original": N_("Original image chosen"),
    "edit": N_("Corrected: %(fields)s"),
    "merge_into": N_("A reader's report added: %(fields)s"),
}


@dataclass(frozen=True)
class Change:
    at: dt.datetime
    action: str  # a key of ACTION_WORDS
    fields: tuple[str, ...] = ()  # keys of FIELD_WORDS, for edits and merges

    def describe(self, _: Callable[[str], str] = lambda text: text) -> str:
        """In words; ``_`` is gettext on a page in the reader's language."""
        said = _(ACTION_WORDS[self.action])
        if "%(fields)s" in said:
            said = said.replace("%(fields)s", ", ".join(_(FIELD_WORDS[f]) for f in self.fields))
        return said


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
        if event["action"] not in ACTION_WORDS:
            continue
        at = dt.datetime.fromisoformat(event["at"])
        if event["action"] in ("edit", "merge_into"):
            fields = _changed(event["before"] or {}, event["after"] or {})
            if fields:
                changes.append(Change(at, event["action"], fields))
        else:
            changes.append(Change(at, event["action"]))
    return changes


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    return tuple(key for key in FIELD_WORDS if before.get(key) != after.get(key))
