"""The Italian translation of the sample course, run as SCOs in Chromium against scorm-again.

The translated model is built here from ``course_src/translations/it.po`` (``builder.i18n.apply``);
the test answers a translated problem through the Italian UI and checks what the LMS records:
the same objective ids and interaction ids as the English package, and the Italian text on screen.
"""

from __future__ import annotations

import re

import pytest

from builder.archive import extract_to
from builder.i18n.apply import translate
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.browser.conftest import Player
from tests.browser.test_scorm_browser import assert_clean, unit_named
from tests.conftest import SAMPLE_SRC

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_an_italian_sample_sco_is_answered_in_italian(player: Player, version: str) -> None:
    site = player.site
    english = site.courses["sample"]
    key = "sample_it"
    if key not in site.courses:
        site.courses[key], warnings = translate(english, SAMPLE_SRC, "it")
        assert warnings == []
    italian = site.courses[key]
    folder = site.root / f"{key}-{version}-unit"
    if not folder.is_dir():
        (out,) = (scorm12 if version == "1.2" else scorm2004).render(italian, BuildOptions())
        extract_to(out.members, folder)
    unit = unit_named(italian, "u-welcome")
    (p,) = unit.problems
    en_p = unit_named(english, "u-welcome").problems[0]
    assert p.id == en_p.id and p.assesses == en_p.assesses

    player.launch(version, site.url(key, version, "unit", unit.id))
    frame = player.frame
    assert frame.locator("html").get_attribute("lang") == "it"
    section = frame.locator(f"#p-{p.id}")
    prompt = section.text_content() or ""
    assert "e-leadership" in prompt and "Quale affermazione descrive meglio" in prompt
    assert "Which statement" not in prompt
    page = frame.locator("body").text_content() or ""
    assert "Benvenuti in *High-Tech Leader*" not in page and "Che cosa significa e-leadership" in page

    right = next(i for i, c in enumerate(p.choices) if c.correct)
    section.locator(f"#p-{p.id}-c{right}").check()
    section.locator(".cp-submit").click()
    section.locator(".cp-status").filter(has_text="Corretto.").wait_for()
    assert "Esatto. L'e-leadership unisce" in (section.text_content() or "")
    player.end()
    cmi = player.cmi()
    assert_clean(player)
    ids = {v for k, v in cmi.items() if re.fullmatch(r"cmi\.interactions\.\d+\.id", k)}
    assert ids == {p.id if version == "1.2" else f"urn:coursepack:{english.slug}:{p.id}"}
    tagged = {v for k, v in cmi.items() if re.fullmatch(r"cmi\.interactions\.\d+\.objectives\.\d+\.id", k)}
    # the English package's objective ids (1.2: the outcome id; 2004: its URI in the competence map)
    assert tagged == {o if version == "1.2" else english.competences.uri(o) for o in en_p.assesses}
    results = {v for k, v in cmi.items() if k.startswith("cmi.interactions.") and k.endswith(".result")}
    assert results == {"correct"}
