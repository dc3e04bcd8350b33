"""A volunteer reports a fake, a moderator approves it, a reader's copy then matches.

Real gunicorn, real headless Chromium (Debian's package), every step through the web
pages a person uses. Screenshots go to test-artifacts/moderation/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from .. import edits
from ..conftest import demo_image
from ..servers import create_user, flask, gunicorn, server_env
from .conftest import CHROMIUM_ARGS, artifacts, require_chromium

SHOTS = artifacts("moderation")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    env = server_env(tmp_path / "db.sqlite3")
    flask(env, "init-db")
    create_user(env, "mod@example.org", "moderator")
    with gunicorn(env, workers=2) as base:
        yield base


@pytest.fixture
def page(driver, tmp_path: Path):  # type: ignore[no-untyped-def]
    browser = driver.chromium.launch(
        executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS
    )
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    yield page
    browser.close()


def test_report_review_approve_then_a_copy_matches(site: str, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    misused = tmp_path / "proof.jpg"
    misused.write_bytes(edits.archetype(demo_image("chelsea")))

    # A volunteer reports the misused image.
    page.goto(site + "/submit")
    page.set_input_files("input[name=image]", str(misused))
    page.fill("textarea[name=claim]", "This cat was rescued from the rubble yesterday")
    page.fill("input[name=seen_url]", "https://social.example/post/42")
    page.fill("textarea[name=origin_description]", "Chelsea the cat, a pet photo from 2010")
    page.fill("textarea[name=evidence_urls]", "https://factcheck.example/cat")
    page.screenshot(path=str(SHOTS / "1-report-form.png"), full_page=True)
    page.click("button:has-text('Send report')")
    assert "waiting for a moderator" in page.inner_text("dl.facts")  # the report's own page
    assert "Keep this page" in page.inner_text(".flash")

    # A moderator signs in and opens the queue.
    page.goto(site + "/moderation/")
    assert "/login" in page.url
    page.fill("input[name=email]", "mod@example.org")
    page.fill("input[name=password]", "a long passphrase")
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/moderation/")
    assert "This cat was rescued" in page.inner_text("table.queue")
    page.screenshot(path=str(SHOTS / "2-queue.png"), full_page=True)

    # Review: the submitted image, the claim, the evidence; approve with a title.
    page.click("table.queue a >> nth=1")
    assert "Submission 1" in page.inner_text("h1")
    assert "https://factcheck.example/cat" in page.inner_text("dl.facts")
    page.fill("input[name=title]", "Pet photo shared as a rescued war animal")
    page.screenshot(path=str(SHOTS / "3-review.png"), full_page=True)
    page.click("button:has-text('Approve and publish')")
    assert "is live for every check" in page.inner_text(".flash")
    page.screenshot(path=str(SHOTS / "4-approved.png"), full_page=True)

    # A reader checks another copy on the home page and sees the new entry.
    copy = tmp_path / "reshared.jpg"
    Image.open(misused).convert("RGB").resize((280, 230)).transpose(
        Image.Transpose.FLIP_LEFT_RIGHT
    ).save(copy, quality=55)
    page.goto(site + "/")
    page.set_input_files("input[name=image]", str(copy))
    page.click("button:has-text('Check image')")
    result = page.inner_text("section.result")
    assert "Known fake or misused image" in result
    assert "Pet photo shared as a rescued war animal" in result
    page.screenshot(path=str(SHOTS / "5-reader-sees-match.png"), full_page=True)

    # Another volunteer starts to report the same picture: the form says it is known.
    page.goto(site + "/submit")
    page.set_input_files("input[name=image]", str(copy))
    page.wait_for_selector("#known", state="visible")
    known = page.inner_text("#known")
    assert "already in the database" in known and "Pet photo shared as a rescued" in known
    page.screenshot(path=str(SHOTS / "7-already-known.png"), full_page=True)


def test_a_reader_pastes_an_image_to_check_it(site: str, page) -> None:  # type: ignore[no-untyped-def]
    """No file picker: an image pasted on the check page is checked."""
    from ..conftest import demo_bytes

    page.goto(site + "/")
    page.evaluate(
        """async (bytes) => {
            const file = new File([new Uint8Array(bytes)], 'pasted.jpg', { type: 'image/jpeg' });
            const data = new DataTransfer();
            data.items.add(file);
            document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data }));
        }""",
        list(demo_bytes("coffee")),
    )
    page.wait_for_selector("section.result")
    assert "Not in the known-fakes database" in page.inner_text("section.result")
    page.screenshot(path=str(SHOTS / "6-pasted-image-checked.png"), full_page=True)
