"""Run axe-core in a Playwright page; report serious and critical violations."""

from pathlib import Path

import axe_playwright_python

AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
SEVERE = {"serious", "critical"}


def severe_violations(page):
    """axe-core's serious and critical violations on the page as it is now (needs bypass_csp)."""
    page.evaluate(AXE_JS)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in SEVERE
    ]


def assert_accessible(page):
    violations = severe_violations(page)
    assert violations == [], "axe-core found serious or critical violations:\n" + "\n".join(violations)
