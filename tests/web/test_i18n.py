"""English and Greek on every page: the catalogue is complete, and readers get their language."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from ..conftest import add_fake, settle, sign_in, submit

ROOT = Path(__file__).parent.parent.parent
CATALOG = ROOT / "server/translations/el/LC_MESSAGES/messages.po"
PLACEHOLDERS = re.compile(r"%\([a-z_]+\)[sd]|\{[a-z_]+\}|%%|<[^>]+>")


def test_every_word_of_the_pages_has_a_greek_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "server/translations/babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    greek = {m.id: m for m in read_po(CATALOG.open("rb"), locale="el") if m.id}
    assert not wanted - greek.keys(), "run scripts/translations and translate these"
    for msgid in wanted:
        message = greek[msgid]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings) and "fuzzy" not in message.flags, msgid
        source = msgid[-1] if isinstance(msgid, tuple) else msgid
        for string in strings:
            assert sorted(PLACEHOLDERS.findall(string)) == sorted(PLACEHOLDERS.findall(source)), (
                msgid
            )


def test_the_compiled_catalogue_is_the_catalogue() -> None:
    with CATALOG.with_suffix(".mo").open("rb") as compiled:
        shipped = gettext.GNUTranslations(compiled)
    for message in read_po(CATALOG.open("rb"), locale="el"):
        if message.id and not isinstance(message.id, tuple):
            assert shipped.gettext(message.id) == message.string, "run scripts/translations"


def test_a_greek_browser_gets_greek_pages_and_can_switch(client) -> None:  # type: ignore[no-untyped-def]
    greek = client.get("/", headers={"Accept-Language": "el-GR,el;q=0.9,en;q=0.5"})
    text = greek.get_data(as_text=True)
    assert '<html lang="el">' in text and "Είναι αυτή η εικόνα γνωστό ψεύδος;" in text
    assert "Accept-Language" in greek.headers["Vary"]
    # The switch keeps the page's query and is remembered.
    switched = client.get("/entries?q=rocket&lang=en", headers={"Accept-Language": "el"})
    assert 'href="/entries?q=rocket&amp;lang=el"' in switched.get_data(as_text=True)
    assert "Known fakes and misused images" in switched.get_data(as_text=True)
    later = client.get("/", headers={"Accept-Language": "el"}).get_data(as_text=True)
    assert '<html lang="en">' in later
    client.get("/?lang=el")
    assert "Έλεγχος εικόνας" in client.get("/").get_data(as_text=True)


def test_dates_are_in_the_reader_s_language_and_zone(app, client) -> None:  # type: ignore[no-untyped-def]
    entry_id = add_fake(app, "rocket", claim_date="2024-03-02")
    client.set_cookie("tz", "Europe/Athens")
    page = client.get(f"/entries/{entry_id}?lang=el").get_data(as_text=True)
    assert "2 Μαρ 2024" in page  # the claim's date, in Greek
    published = re.search(r"πρώτη δημοσίευση <time[^>]*>([^<]+)</time>", page).group(1)
    assert re.fullmatch(r"\d{1,2} \w+ \d{4}, \d\d:\d\d (EET|EEST|GMT\+0?[23](:00)?)", published)
    client.set_cookie("tz", "no/such_zone")
    plain = client.get(f"/entries/{entry_id}?lang=en").get_data(as_text=True)
    assert re.search(r"first published <time[^>]*>[^<]+ (UTC|GMT)</time>", plain)


def test_a_refused_report_and_a_review_speak_greek(app, client) -> None:  # type: ignore[no-untyped-def]
    refused = client.post(
        "/submit?lang=el", data={"seen_url": "not a link"}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "Δεν στάλθηκε τίποτα ακόμη" in refused
    assert "Δώστε ολόκληρη τη διεύθυνση" in refused or "Αρχείο εικόνας" in refused
    report = submit(client, "rocket")
    settle(app)
    sign_in(app, client, "moderator")
    review = client.get(f"/moderation/submissions/{report}?lang=el").get_data(as_text=True)
    assert "Συγχώνευση σε υπάρχουσα καταχώριση" in review and "Έγκριση ως νέα καταχώριση" in review
