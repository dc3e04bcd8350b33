"""Pictures made of words are the same only if their words are."""

from __future__ import annotations

import pytest

from server.matching.bank import snapshot
from server.matching.text import available, read_words, same_words
from server.references import prepare

from .. import edits
from ..conftest import demo_image
from .test_matcher import bank_check

pytestmark = pytest.mark.skipif(not available(), reason="rapidocr is not installed")

KNOWN = "The minister confirmed that the army destroyed the dam on purpose last night"
OTHER = "The minister said the storm damaged the dam and repairs start on Monday"


def test_a_statement_is_read_and_is_made_of_words_and_a_photo_is_not() -> None:
    words = read_words(edits.statement(KNOWN))
    assert words is not None and words.dominant
    assert same_words(KNOWN, words.text).share >= 0.9
    photo = read_words(demo_image("rocket"))
    assert photo is not None and not photo.dominant


def test_copies_say_the_same_and_other_statements_do_not() -> None:
    known = read_words(edits.statement(KNOWN)).text  # type: ignore[union-attr]
    small = edits.statement(KNOWN).resize((480, 347))
    cropped = edits.crop(edits.statement(KNOWN), 0.04)
    for copy in (small, cropped):
        assert same_words(known, read_words(copy).text).same  # type: ignore[union-attr]
    other = read_words(edits.statement(OTHER)).text  # type: ignore[union-attr]
    assert same_words(known, other).different


def test_a_stored_statement_is_not_confused_with_another_in_the_same_chrome() -> None:
    stored = prepare(edits.jpeg(edits.statement(KNOWN), 90), role="misused", max_pixels=10**8)
    assert stored.text is not None
    bank = snapshot([[stored]])
    assert bank_check(bank, edits.jpeg(edits.statement(KNOWN), 70)) == "match"
    assert bank_check(bank, edits.jpeg(edits.statement(OTHER), 70)) == "no_match"


def test_a_known_meme_is_found_by_its_words_and_its_template_with_other_words_is_not() -> None:
    template = demo_image("coffee")
    stored = prepare(
        edits.jpeg(edits.meme(template, "troops poisoned the water")),
        role="misused",
        max_pixels=10**8,
    )
    bank = snapshot([[stored]])
    assert (
        bank_check(bank, edits.jpeg(edits.meme(template, "troops poisoned the water"), 70))
        == "match"
    )
    in_a_post = edits.web_page(edits.meme(template, "troops poisoned the water"))
    assert bank_check(bank, edits.jpeg(in_a_post, 80)) == "match"
    other = edits.jpeg(edits.meme(template, "monday morning again"), 70)
    assert bank_check(bank, other) == "no_match"


def test_a_crop_that_cuts_a_memes_caption_lines_says_the_same_and_nothing_else() -> None:
    """What the reader reads of a meme cropped by 8 %: the first and last caption lines
    cut away, the letters at the ends of the others lost. (Strings, as read in
    bench/accuracy: the rule, not the reader.)"""
    stored = "HAVE FOREIGN FULL BY AFTER HEAVY. ABOUT OUR AND RESIDENTS TODAY SPREADING."
    cropped = "FTER HEAVY. BOUT OUR AND RESIDENTS"
    assert same_words(stored, cropped).same
    # The same template with other words, cut the same way, and one that shares only a
    # meme's usual last line: not the known meme.
    assert same_words(stored, "OTHER MEN. WEEK THEIR LOCAL SCHOOLS").different
    boilerplate = "TROOPS POISONED THE WATER SHARE BEFORE IT IS DELETED"
    assert not same_words(boilerplate, "MONDAY MORNING SHARE BEFORE IT IS DELETED").same
    assert not same_words(boilerplate, "SHARE BEFORE IT IS DELETED").same
