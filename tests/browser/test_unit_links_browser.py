"""Links between units, clicked in a real browser inside the SCORM player.

With one course SCO, a link to another unit shows that unit's article (the runtime hides all but
one); with unit SCOs, it opens the linked unit's page beside the current one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.archive import extract_to
from builder.source import load_course
from builder.targets import BuildOptions, scorm12
from tests.browser.conftest import Player, Site
from tests.source.test_unit_links import linked_course

pytestmark = pytest.mark.browser


def _site_with_links(site: Site, tmp_path: Path, sco: str) -> str:
    course = load_course(linked_course(tmp_path / "src"))
    (out,) = scorm12.render(course, BuildOptions(sco=sco))
    folder = site.root / f"links-1.2-{sco}"
    if not folder.is_dir():
        extract_to(out.members, folder)
    return site.url("links", "1.2", sco, "course" if sco == "course" else "u-welcome")


def test_course_sco_link_shows_the_linked_unit(browser_context, scorm_site: Site, tmp_path: Path) -> None:
    player = Player(browser_context.new_page(), scorm_site)
    player.launch("1.2", _site_with_links(scorm_site, tmp_path, "course"))
    frame = player.frame
    assert not frame.locator("#unit-u-hazards").is_visible()
    frame.get_by_role("link", name="the hazards").click()
    assert frame.locator("#unit-u-hazards").is_visible()
    assert not frame.locator("#unit-u-welcome").is_visible()
    assert (frame.locator("#cp-progress").text_content() or "").startswith("Unit 2 of 3")
    frame.get_by_role("link", name="the start").click()
    assert frame.locator("#unit-u-welcome").is_visible()
    player.end()
    assert player.console_errors == []
    player.page.close()


def test_unit_sco_link_opens_the_linked_page(browser_context, scorm_site: Site, tmp_path: Path) -> None:
    player = Player(browser_context.new_page(), scorm_site)
    player.launch("1.2", _site_with_links(scorm_site, tmp_path, "unit"))
    frame = player.frame
    frame.get_by_role("link", name="the hazards").click()
    frame.locator("h1", has_text="Hazards").wait_for()
    assert player.console_errors == []
    player.page.close()
