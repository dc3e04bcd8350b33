"""Every web page, as people see it: axe-core finds nothing serious, and nothing overflows
a phone's width.

Real gunicorn with the demo entries, a pending report and a moderator; Debian's
headless Chromium at 1100 px and at 390 px (a phone), in light and dark mode. Each
state is audited with axe-core (WCAG 2.1 A/AA and best practices: 0 critical, 0
serious), checked for sideways scrolling at 390 px, and saved as a screenshot in
test-artifacts/web/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .. import edits
from ..conftest import demo_image
from ..servers import create_user, flask, gunicorn, server_env
from .axe import serious_violations
from .conftest import CHROMIUM_ARGS, artifacts, require_chromium

SHOTS = artifacts("web")
WIDTHS = {"desktop": 1100, "phone": 390}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("web-quality")
    env = server_env(folder / "db.sqlite3")
    flask(env, "init-db")
    flask(env, "demo-data")
    create_user(env, "mod@example.org", "admin")
    with gunicorn(env, workers=2) as base:
        yield base


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("uploads")
    made = {
        "copy": edits.archetype(demo_image("rocket")),
        "unknown": edits.jpeg(edits.mirror(demo_image("coffee")), 80),
    }
    paths = {}
    for name, data in made.items():
        paths[name] = folder / f"{name}.jpg"
        paths[name].write_bytes(data)
    return paths


@pytest.fixture(scope="module")
def browser(driver):  # type: ignore[no-untyped-def]
    browser = driver.chromium.launch(
        executable_path=require_chromium(), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def audit(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Problems with the page as it is now, in every width and colour scheme."""
    problems = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(50)
            for violation in serious_violations(page):
                problems.append(f"{name} {label} {scheme}: {violation['id']} {violation['nodes']}")
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > width + 1:
                culprit = page.evaluate(WIDEST, width)
                problems.append(f"{name} {label} {scheme}: {wide} px wide ({culprit})")
            page.screenshot(path=str(SHOTS / f"{name}-{label}-{scheme}.png"), full_page=True)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 900})
    return problems


# Which element sticks out past the window (to say what to fix).
WIDEST = """(width) => {
  // The innermost elements that end past the window: what to fix.
  const past = [...document.querySelectorAll('body *')].filter(
    (n) => n.getBoundingClientRect().right > width + 1 && getComputedStyle(n).display !== 'none');
  const inner = past.filter((n) => !past.some((m) => m !== n && n.contains(m)));
  return inner.slice(0, 3).map((n) => n.localName + (n.name ? `[name=${n.name}]` : '') +
    (n.className ? '.' + String(n.className).trim().replace(/ +/g, '.') : '') +
    ` to ${Math.round(n.getBoundingClientRect().right)} px`).join(', ') || 'nothing visible';
}"""


def test_public_pages(site: str, files: dict[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    problems = []
    page.goto(f"{site}/")
    problems += audit(page, "home")
    for name in ("copy", "unknown"):
        page.goto(f"{site}/")
        page.set_input_files("input[type=file]", str(files[name]))
        page.locator("form button[type=submit]").first.click()
        page.wait_for_load_state("load")
        problems += audit(page, f"check-{name}")
        if name == "copy":  # the link to this verdict, as whoever it was sent to sees it
            shared = page.locator(".permalink input").input_value()
            page.goto(shared)
            problems += audit(page, "shared-result")
    # A report sent without an account: the page that follows it.
    # First refused (a link that is not one): the problem is marked beside its field,
    # and the chosen file is still chosen, so sending again needs no second pick.
    page.goto(f"{site}/submit")
    page.set_input_files("input[name=image]", str(files["unknown"]))
    page.fill("textarea[name=claim]", "Coffee served at the embassy yesterday")
    page.fill("textarea[name=evidence_urls]", "fc.example/coffee")
    page.click("button:has-text('Send report')")
    page.locator("#problem-evidence_urls").wait_for()
    assert "Line 1: Enter a whole address" in page.locator("#problem-evidence_urls").inner_text()
    assert page.evaluate("document.activeElement.id") == "problems"
    assert (
        page.evaluate("document.querySelector('input[name=image]').files[0].name") == "unknown.jpg"
    )
    problems += audit(page, "submit-refused")
    page.fill("textarea[name=evidence_urls]", "https://fc.example/coffee")
    page.click("button:has-text('Send report')")
    page.wait_for_url("**/submit/*?token=*")
    page.wait_for_load_state("load")
    problems += audit(page, "report-status")
    for path, name in (
        ("/entries", "entries"),
        ("/entries/1", "entry"),
        ("/submit", "submit"),
        ("/login", "login"),
        ("/no-such-page", "not-found"),
        ("/api/v1/docs", "api-docs"),
    ):
        page.goto(f"{site}{path}")
        problems += audit(page, name)
    page.close()
    assert problems == [], "\n".join(problems)


def test_moderation_pages(site: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(f"{site}/login")
    page.fill("input[name=email]", "mod@example.org")
    page.fill("input[name=password]", "a long passphrase")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("load")
    problems = []
    for path, name in (
        ("/moderation/", "queue"),
        ("/moderation/submissions/1", "review"),  # the report sent in test_public_pages
        ("/moderation/submissions/1?find=rocket", "review-find"),
        ("/moderation/entries", "moderation-entries"),
        ("/moderation/entries/1/edit", "edit"),
        ("/moderation/negatives", "negatives"),
        ("/moderation/audit", "audit"),
        ("/moderation/users", "users"),
        ("/moderation/check-page", "check-page"),
        ("/moderation/import-article", "import-article"),
    ):
        page.goto(f"{site}{path}")
        problems += audit(page, name)
    page.close()
    assert problems == [], "\n".join(problems)


def test_pages_in_greek(site: str, files: dict[str, Path], browser) -> None:  # type: ignore[no-untyped-def]
    """Greek words are longer: the same pages, chosen with the switch, in Greek."""
    context = browser.new_context(locale="el-GR", timezone_id="Europe/Athens")
    page = context.new_page()
    problems = []
    page.goto(f"{site}/")
    assert page.evaluate("document.documentElement.lang") == "el"
    problems += audit(page, "el-home")
    page.set_input_files("input[type=file]", str(files["copy"]))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert "Γνωστό ψεύδος" in page.locator(".result h2").inner_text()
    problems += audit(page, "el-check-copy")
    for path, name in (
        ("/entries", "el-entries"),
        ("/entries/1", "el-entry"),
        ("/submit", "el-submit"),
        ("/no-such-page", "el-not-found"),
    ):
        page.goto(f"{site}{path}")
        problems += audit(page, name)
    # The zone came from the browser (zone.js): times say Athens, not UTC.
    page.goto(f"{site}/entries/1")
    assert "UTC" not in page.locator("p.meta time").first.inner_text()
    page.click("text=English")
    assert page.evaluate("document.documentElement.lang") == "en"
    context.close()
    assert problems == [], "\n".join(problems)
