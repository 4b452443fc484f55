"""Audit a page with axe-core (from npm, node_modules/axe-core) and report what it finds."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from server.config import PROJECT_ROOT

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, and axe's best practices (headings, landmarks) reported beside them.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = frozenset({"serious", "critical"})

RUN = """async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags }, resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  }));
}"""


def audit(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; return its violations (id, impact, help, nodes)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # As a function evaluate() runs: the page's Content-Security-Policy forbids inline script
        # and eval, not the test's own code (axe.min.js puts itself on `window`).
        page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    violations: list[dict[str, Any]] = page.evaluate(RUN, TAGS)
    return violations


def blocking(violations: list[dict[str, Any]], where: str) -> list[str]:
    """Describe the serious and critical violations, one line each, saying where they were."""
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
        if v["impact"] in BLOCKING
    ]
