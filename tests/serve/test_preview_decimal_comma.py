"""The preview runs the SCO runtime, so a course written in Italian is previewed as Italian learners
get it: "14,4" in a numeric answer box is read as 14.4, and the LMS panel shows 14.4 recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from builder.serve.server import Preview
from tests.serve.conftest import edit
from tests.serve.test_serve_browser import TIMEOUT, open_unit

pytestmark = pytest.mark.browser
READY = "window.cpPreview && window.cpPreview.loads >= 1 && window.cpPreview.connected"


@pytest.fixture
def italian_preview(course_copy: Path) -> Iterator[Preview]:
    edit(course_copy / "course.yaml", "language: en", "language: it")  # a course written in Italian
    with Preview(course_copy) as p:
        yield p


def test_the_preview_reads_a_decimal_comma_in_an_italian_course(browser, italian_preview: Preview) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 800})
    try:
        page = context.new_page()
        page.goto(italian_preview.url + "/")
        page.wait_for_function(READY)
        frame = open_unit(page, italian_preview, "u-building-a-business-case")
        assert frame.locator("html").get_attribute("lang") == "it"
        section = frame.locator("#p-p-webshop-payback")
        section.locator("input[type=text]").fill("14,4")
        section.locator(".cp-submit").click()
        rows = page.locator("#pv-interactions tbody tr", has_text="p-webshop-payback")
        rows.first.wait_for(timeout=TIMEOUT)
        assert rows.first.inner_text().split("\t") == ["p-webshop-payback", "14.4", "correct"]
        assert page.locator("#pv-lms-errors li").count() == 0  # the strict stub refused nothing
    finally:
        context.close()
