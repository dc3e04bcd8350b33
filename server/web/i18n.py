"""The pages in English and Greek (Flask-Babel), with dates in the reader's own time zone.

The language is the one the reader chose with the switch (``?lang=el``, remembered in a
cookie), else the best of their browser's languages, else English. The time zone is the
browser's (``zone.js`` stores ``Intl``'s zone in a cookie); until it is known, times are
shown in UTC — always with their zone, never a bare "14:03".

Only the pages speak Greek: the JSON API's messages stay English, for machines and logs.
Translations live in ``server/translations/<lang>/LC_MESSAGES/messages.po``; see
``scripts/translations`` for extracting and compiling them.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, Response, g, request
from flask_babel import Babel, format_date, format_datetime, get_locale, gettext
from flask_babel import lazy_gettext as _l

from ..explain import explanation

LANGUAGES = {"en": "English", "el": "Ελληνικά"}
COOKIE_DAYS = 365

#: Words made outside the templates (records, services) and shown on pages: marked here
#: so that extraction finds them; templates translate them with the ``words`` filter.
SHOWN_WORDS = (
    # image and video roles
    _l("original"),
    _l("misused"),
    _l("variant"),
    # statuses
    _l("published"),
    _l("disabled"),
    _l("retracted"),
    _l("pending"),
    _l("needs info"),
    _l("approved"),
    _l("merged"),
    _l("rejected"),
    _l("active"),
    # Werkzeug's descriptions of the errors the styled error page shows
    _l("The browser (or proxy) sent a request that this server could not understand."),
    _l(
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    ),
    _l("The method is not allowed for the requested URL."),
    _l("The data value transmitted exceeds the capacity limit."),
    _l(
        "You don't have the permission to access the requested resource. It is either "
        "read-protected or not readable by the server."
    ),
    _l("This user has exceeded an allotted request count. Try again later."),
)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=_language, timezone_selector=_zone)
    app.before_request(_remember_choice)
    app.after_request(_store_choice)
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_filter(words)
    app.add_template_filter(explain)
    app.add_template_filter(lambda change: change.describe(gettext), "history")
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["language"] = lambda: str(get_locale() or "en")
    app.jinja_env.globals["language_url"] = language_url


def language_url(code: str) -> str:
    """This page in language ``code``: the same address and query, plus ``lang``."""
    query = request.args.to_dict(flat=False)
    query["lang"] = [code]
    return request.path + "?" + urlencode(query, doseq=True)


def _remember_choice() -> None:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        g.chosen_language = chosen


def _language() -> str:
    chosen = getattr(g, "chosen_language", None) or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


def _zone() -> str:
    name = request.cookies.get("tz", "")
    try:
        return name if name and ZoneInfo(name) else "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def _store_choice(response: Response) -> Response:
    chosen = getattr(g, "chosen_language", None)
    if chosen:
        response.set_cookie(
            "lang", chosen, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True
        )
    if response.mimetype == "text/html":
        # The same address answers in two languages and zones: shared caches must not
        # give one reader's page to another.
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def when(value: dt.datetime | str | None) -> str:
    """A moment in the reader's language and zone, with the zone: "1 Δεκ 2026, 23:40 EET"."""
    if not value:
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # every stored time is UTC
    return format_datetime(moment, "d MMM y, HH:mm zzz")


def day(value: dt.date | dt.datetime | str | None) -> str:
    """A calendar date in the reader's language ("1 Dec 2026", "1 Δεκ 2026")."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # a moment: its day where the reader is
    return format_date(value, "d MMM y")


def words(value: str | None) -> str:
    """Words made outside the templates (``SHOWN_WORDS``), in the reader's language."""
    return gettext(value.replace("_", " ")) if value else ""


def explain(match: dict[str, Any], whole: bool = True) -> str:
    """How a match was found (``explain.explanation``), in the reader's language."""
    return explanation(SimpleNamespace(**match), whole, gettext)
