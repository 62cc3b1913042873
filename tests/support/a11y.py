"""Accessibility checks for the browser tests: axe-core, vendored under tests/support/vendor/
(tests only; the portal never serves it), run on a Playwright page.

The portal's Content-Security-Policy allows no inline script, so `page.add_script_tag`
(which inserts an inline <script>) is refused; `page.evaluate` runs the file through the
DevTools protocol, which the policy does not govern, and the page itself stays as served."""
from __future__ import annotations

from pathlib import Path

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / AXE_VERSION / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_violations(page, *, impacts=SERIOUS) -> list[dict]:
    """axe's violations of the page as it is now (WCAG 2.x A and AA rules and axe's best
    practices), those of the given impacts only: [{id, impact, help, nodes: [{target, html, summary}]}]."""
    if page.evaluate("typeof window.axe") == "undefined":
        page.evaluate(AXE.read_text())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [{"target": node["target"], "html": node["html"][:200], "summary": node.get("failureSummary", "")} for node in violation["nodes"]],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


def describe(violations: list[dict]) -> str:
    """A readable report for an assertion message."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.extend(f"      {line}" for line in node["summary"].splitlines()[:4])
    return "\n".join(lines)
