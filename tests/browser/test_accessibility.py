"""Accessibility of what learners and trainers see, checked by axe-core in Chromium.

axe-core is the engine behind most accessibility checkers; it runs the WCAG 2.x A/AA rules it can
decide automatically. Serious and critical findings fail the test; the rest is printed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.model import Course
from builder.report.coverage import write_reports
from tests.browser.conftest import NODE_MODULES, Site

pytestmark = pytest.mark.browser

AXE = NODE_MODULES / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def _axe(page) -> list[dict]:  # type: ignore[no-untyped-def]
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/browser`")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})")
    for v in result["violations"]:
        print(f"{v['impact']}: {v['id']} — {v['help']} ({len(v['nodes'])} nodes)")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def _pages(course: Course) -> list[str]:
    """Units that together show every problem type, a video, an image and a table."""
    chosen: list[str] = []
    types: set[str] = set()
    for unit in course.units():
        new_types = {p.type for p in unit.problems} - types
        if new_types or (unit.videos and not any("video" in c for c in chosen)):
            chosen.append(unit.id + (" video" if unit.videos else ""))
            types |= new_types
    return [c.split()[0] for c in chosen]


def _blocking_report(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']}: {v['help']} — {[n['target'] for n in v['nodes'][:3]]}" for v in violations)


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_sco_pages_have_no_serious_accessibility_violations(
    browser_context, scorm_site: Site, version: str
) -> None:
    course = scorm_site.courses["sample"]
    urls = [scorm_site.url("sample", version, "unit", u) for u in _pages(course)]
    urls.append(scorm_site.url("sample", version, "course", "course"))
    for url in urls:
        page = browser_context.new_page()
        try:
            page.goto(scorm_site.base + url)
            page.locator("#cp-standalone").wait_for(state="visible")
            blocking = _axe(page)
            assert blocking == [], f"{url}\n{_blocking_report(blocking)}"
        finally:
            page.close()


def test_coverage_report_has_no_serious_accessibility_violations(
    browser_context, sample_course: Course, tmp_path: Path
) -> None:
    (html,) = [p for p in write_reports(sample_course, tmp_path) if p.suffix == ".html"]
    page = browser_context.new_page()
    try:
        page.goto(html.as_uri())
        blocking = _axe(page)
        assert blocking == [], _blocking_report(blocking)
    finally:
        page.close()
