"""Accessibility audits with axe-core (the npm package, installed by ``npm ci``).

The engine is evaluated in the page over the DevTools protocol, which a page's Content
Security Policy (the extension's pages have a strict one) does not block.
"""

from __future__ import annotations

from typing import Any

from ..conftest import service_missing
from ..servers import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

RUN = """async (rules) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: rules } });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + n.failureSummary),
  }));
}"""


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """What axe-core rates serious or critical on the page as it is now."""
    if not AXE.exists():
        service_missing("axe-core (run npm ci)", FileNotFoundError(AXE))
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate(RUN, RULES)
    return [v for v in found if v["impact"] in ("serious", "critical")]
