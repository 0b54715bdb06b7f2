"""The preview in real headless Chromium, on a copy of the sample course served on a free port:
navigate the outline, answer a problem and read the LMS panel, edit a unit and see the new text at
the same scroll position, break the unit and see the overlay with file:line, fix it and see it go."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.serve.server import Preview
from tests.serve.conftest import UNIT, UNIT_ID, edit

pytestmark = pytest.mark.browser
TIMEOUT = 15_000


@pytest.fixture
def preview(course_copy: Path) -> Iterator[Preview]:
    with Preview(course_copy) as p:  # always stopped, even when the test fails
        yield p


@pytest.fixture
def page(browser, preview: Preview) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 800})
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def open_unit(page, preview: Preview, unit_id: str) -> object:
    loads = page.evaluate("window.cpPreview ? window.cpPreview.loads : 0")
    page.click(f'#pv-sidebar a[data-unit="{unit_id}"]')
    page.wait_for_function(f"window.cpPreview.loads > {loads}", timeout=TIMEOUT)
    return page.frame_locator("#pv-frame")


def panel(page, field: str) -> str:
    return page.locator(f'#pv-lms-summary dd[data-field="{field}"]').inner_text()


def test_navigate_answer_edit_break_fix(page, preview: Preview, course_copy: Path) -> None:
    page.goto(preview.url + "/")
    page.wait_for_function("window.cpPreview && window.cpPreview.loads >= 1 && window.cpPreview.connected")
    # The first unit opens by itself; the sidebar holds every unit, grouped by section and subsection.
    assert page.locator("#pv-sidebar a[data-unit]").count() == len(preview.site.units())
    assert page.locator("#pv-sidebar .pv-section").first.inner_text() == preview.site.course.sections[0].title

    # Navigate: sidebar, then Next / Previous.
    frame = open_unit(page, preview, UNIT_ID)
    assert frame.locator("h1").first.inner_text() == "What a digital strategy is (and is not)"
    loads = page.evaluate("window.cpPreview.loads")
    page.click("#pv-next")
    page.wait_for_function(f"window.cpPreview.loads > {loads}")
    assert page.evaluate("window.cpPreview.current.id") == preview.site.units()[2].id
    loads = page.evaluate("window.cpPreview.loads")
    page.click("#pv-prev")
    page.wait_for_function(f"window.cpPreview.loads > {loads}")
    assert page.evaluate("window.cpPreview.current.id") == UNIT_ID

    # Answer the unit's one problem; the LMS panel shows what the SCO sent the 2004 API.
    frame = page.frame_locator("#pv-frame")
    frame.locator("#p-p-digital-terms-dropdown-input").select_option("0")
    frame.locator("#p-p-digital-terms-dropdown .cp-submit").click()
    rows = page.locator("#pv-interactions tbody tr")
    rows.first.wait_for(timeout=TIMEOUT)
    assert rows.first.inner_text().split("\t") == ["p-digital-terms-dropdown", "c0", "correct"]
    page.wait_for_function("document.querySelector('[data-field=\"Success\"]').textContent === 'passed'")
    assert panel(page, "Completion") == "completed"
    assert panel(page, "Score (scaled)") == "1"
    objectives = page.locator("#pv-objectives tbody").inner_text()
    assert "HTL.U1.K1\tpassed, completed\t100" in objectives
    assert "HTL.U1.RA1" in objectives
    assert page.locator("#pv-suspend").inner_text().startswith("{")
    assert page.locator("#pv-lms-errors li").count() == 0  # the strict stub refused nothing

    # Edit the unit: the page shows the new text, at the scroll position the author was reading.
    frame_handle = page.frame(name="pv-frame")
    frame_handle.evaluate("window.scrollTo(0, 300)")
    scrolled = frame_handle.evaluate("window.scrollY")
    assert scrolled > 100
    generation = page.evaluate("window.cpPreview.generation")
    loads = page.evaluate("window.cpPreview.loads")
    edit(course_copy / UNIT, "A website is a tool.", "A website is only a tool, edited live.")
    page.wait_for_function(f"window.cpPreview.generation > {generation} && window.cpPreview.loads > {loads}",
                           timeout=TIMEOUT)  # fmt: skip
    frame_handle = page.frame(name="pv-frame")
    assert "A website is only a tool, edited live." in frame_handle.inner_text("main")
    assert abs(frame_handle.evaluate("window.scrollY") - scrolled) <= 2
    # The learner record survived the reload like a suspended LMS attempt.
    assert panel(page, "Entry") == "resume"
    assert panel(page, "Success") == "passed"

    # Break the unit: an overlay names file:line and the fix; the last good page stays.
    generation = page.evaluate("window.cpPreview.generation")
    edit(course_copy / UNIT, "type: dropdown", "type: dropdwn")
    page.locator("#pv-overlay").wait_for(state="visible", timeout=TIMEOUT)
    overlay = page.locator("#pv-overlay").inner_text()
    assert re.search(re.escape(UNIT.as_posix()) + r":\d+", overlay), overlay
    assert "dropdwn" in overlay
    assert page.locator("#pv-errors .pv-fix").count() >= 1
    assert "A website is only a tool, edited live." in page.frame(name="pv-frame").inner_text("main")

    # Fix it: the overlay goes.
    edit(course_copy / UNIT, "type: dropdwn", "type: dropdown")
    page.locator("#pv-overlay").wait_for(state="hidden", timeout=TIMEOUT)

    # Rename the unit: the sidebar follows without a page reload of the shell.
    edit(course_copy / UNIT, "title: What a digital strategy is (and is not)", "title: Strategy <renamed>")
    link = page.locator(f'#pv-sidebar a[data-unit="{UNIT_ID}"]')
    page.wait_for_function(
        "id => document.querySelector(`#pv-sidebar a[data-unit='${id}']`)"
        ".textContent === 'Strategy <renamed>'",
        arg=UNIT_ID,
        timeout=TIMEOUT,
    )
    assert link.get_attribute("aria-current") == "page"
    assert page.frame(name="pv-frame").locator("h1").first.inner_text() == "Strategy <renamed>"


def test_scorm12_panel_reset_overview_and_report(page, preview: Preview) -> None:
    page.goto(preview.url + "/#unit=" + UNIT_ID)
    page.wait_for_function("window.cpPreview && window.cpPreview.loads >= 1")
    loads = page.evaluate("window.cpPreview.loads")
    page.select_option("#pv-version", "1.2")
    page.wait_for_function(f"window.cpPreview.loads > {loads}")
    assert page.locator("#pv-lms-version").inner_text() == "SCORM 1.2"
    frame = page.frame_locator("#pv-frame")
    frame.locator("#p-p-digital-terms-dropdown-input").select_option("1")
    frame.locator("#p-p-digital-terms-dropdown .cp-submit").click()
    page.locator("#pv-interactions tbody tr").first.wait_for(timeout=TIMEOUT)
    assert page.locator("#pv-interactions tbody tr").first.inner_text().split("\t") == [
        "p-digital-terms-dropdown", "b", "wrong",
    ]  # fmt: skip
    assert page.locator("#pv-lms-errors li").count() == 0

    # Reset learner: a fresh record (no interactions, a new attempt).
    loads = page.evaluate("window.cpPreview.loads")
    page.click("#pv-reset")
    page.wait_for_function(f"window.cpPreview.loads > {loads}")
    assert page.locator("#pv-interactions tbody tr").count() == 0
    assert panel(page, "Entry") == "ab-initio"
    assert panel(page, "Lesson status") == "incomplete"

    # A link from one unit page to another (sco/<id>.html) becomes a preview navigation, so the
    # unit gets its own learner record and the LMS API (not the standalone fallback).
    loads = page.evaluate("window.cpPreview.loads")
    page.frame(name="pv-frame").evaluate("location.href = 'u-welcome.html'")
    # Wait for the load to be counted too: read later while still pending, the count would rise
    # under the overview click below before the overview is in the frame (a race seen in CI).
    page.wait_for_function(f"window.cpPreview.current.id === 'u-welcome' && window.cpPreview.loads > {loads}")
    page.wait_for_function("document.querySelector('[data-field=\"Sessions\"]').textContent === '1'")
    assert page.frame(name="pv-frame").locator("#cp-standalone").is_hidden()
    assert page.locator('#pv-sidebar a[aria-current="page"]').get_attribute("data-unit") == "u-welcome"

    # The overview and the coverage report are one click away.
    loads = page.evaluate("window.cpPreview.loads")
    page.click('#pv-sidebar a[data-page="overview"]')
    page.wait_for_function(f"window.cpPreview.loads > {loads}")
    assert "About this course" in page.frame(name="pv-frame").inner_text("body")
    with page.expect_popup() as popup:
        page.click('#pv-sidebar a[data-page="report"]')
    assert "HTL.U1.K1" in popup.value.content()
