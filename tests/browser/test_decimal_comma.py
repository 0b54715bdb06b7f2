"""A learner on an Italian SCO page may type 2,5; the LMS still records 2.5 (scorm-again, Chromium).

The tiny course's numeric problem (answer 2.5, no tolerance) is built twice, in Italian and in
English. The Italian page scores "2,5" correct and records the number with a point, which is what
SCORM's real(10,7) and Moodle accept; "1.000" (a thousand, or one?) is refused without using an
attempt. The English page keeps today's rule: "2,5" is not a number.
"""

from __future__ import annotations

import json
import re

import pytest

from builder.archive import extract_to
from builder.model import Course
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.browser.conftest import Player, Site
from tests.browser.test_scorm_browser import assert_clean, unit_named
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

UI = ROOT / "scorm_templates" / "i18n"


def _ui(lang: str) -> dict[str, str]:
    return json.loads((UI / f"{lang}.json").read_text(encoding="utf-8"))


_COURSES: dict[str, Course] = {}
"""Kept here, not in ``site.courses``: tests that walk every served course expect English ones."""


def _course(site: Site, lang: str, version: str) -> Course:
    """The tiny course in ``lang`` with its numeric answer set to 2.5 exactly, served once."""
    key = f"tiny25{lang}"
    if key not in _COURSES:
        course = site.courses["tiny"].model_copy(update={"language": lang}, deep=True)
        numeric = next(p for p in course.problems() if p.id == "p-numeric")
        numeric.answer, numeric.tolerance = 2.5, "0"
        _COURSES[key] = course
    course = _COURSES[key]
    folder = site.root / f"{key}-{version}-unit"
    if not folder.is_dir():
        (out,) = (scorm12 if version == "1.2" else scorm2004).render(course, BuildOptions())
        extract_to(out.members, folder)
    return course


def _submit(player: Player, text: str) -> str:
    section = player.frame.locator("#p-p-numeric")
    section.locator("input[type=text]").fill(text)
    section.locator(".cp-submit").click()
    status = section.locator(".cp-status")
    status.filter(has_text=re.compile(".")).wait_for()
    return status.text_content() or ""


def _numeric_records(cmi: dict[str, str], version: str) -> list[tuple[str, str]]:
    """(recorded response, result) of every numeric interaction the LMS holds."""
    response = "student_response" if version == "1.2" else "learner_response"
    out = []
    for key, value in sorted(cmi.items()):
        m = re.fullmatch(r"cmi\.interactions\.(\d+)\.result", key)
        if m and cmi.get(f"cmi.interactions.{m.group(1)}.type") == "numeric":
            out.append((cmi.get(f"cmi.interactions.{m.group(1)}.{response}", ""), value))
    return out


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_an_italian_learner_may_answer_with_a_decimal_comma(player: Player, version: str) -> None:
    course = _course(player.site, "it", version)
    unit = unit_named(course, "u-practice")
    player.launch(version, player.site.url("tiny25it", version, "unit", unit.id))
    it = _ui("it")
    assert player.frame.locator("html").get_attribute("lang") == "it"
    attempts = player.frame.locator("#p-p-numeric .cp-attempts")
    before = attempts.text_content()
    # "1.000": a thousand, or one? Asked again, and no attempt is used or recorded.
    assert _submit(player, "1.000") == it["number_ambiguous"]
    assert attempts.text_content() == before and _numeric_records(player.cmi(), version) == []
    assert _submit(player, "2,5") == it["correct"]
    assert player.frame.locator("#p-p-numeric input[type=text]").input_value() == "2,5"  # as typed
    player.end()
    cmi = player.cmi()
    assert _numeric_records(cmi, version) == [("2.5", "correct")]
    assert_clean(player)  # scorm-again accepted every value; Moodle's stricter decimals too


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_an_english_page_still_asks_for_a_decimal_point(player: Player, version: str) -> None:
    course = _course(player.site, "en", version)
    unit = unit_named(course, "u-practice")
    player.launch(version, player.site.url("tiny25en", version, "unit", unit.id))
    en = _ui("en")
    assert _submit(player, "2,5") == en["enter_number"]
    assert _numeric_records(player.cmi(), version) == []  # not graded, nothing recorded
    assert _submit(player, "1.000") == f"{en['incorrect']} {en['try_again']}"  # one, as before
    assert _submit(player, "2.5") == en["correct"]
    player.end()
    cmi = player.cmi()
    records = _numeric_records(cmi, version)
    # 1.2 journals one interaction per attempt; 2004 keeps one per problem, updated
    assert records == ([("1", "wrong"), ("2.5", "correct")] if version == "1.2" else [("2.5", "correct")])
    assert_clean(player)


def test_scorm_again_refuses_a_decimal_comma_in_a_numeric_response(player: Player) -> None:
    """Why the runtime records "2.5": the 2004 data model's numeric learner_response is a real number
    with a point, and scorm-again (like an LMS) refuses "2,5" with an error."""
    course = _course(player.site, "it", "2004")
    unit = unit_named(course, "u-practice")
    player.launch("2004", player.site.url("tiny25it", "2004", "unit", unit.id))
    codes = player.page.evaluate(
        """() => {
          const api = window.API_1484_11, n = api.GetValue("cmi.interactions._count");
          api.SetValue("cmi.interactions." + n + ".id", "probe");
          api.SetValue("cmi.interactions." + n + ".type", "numeric");
          const out = [];
          for (const v of ["2,5", "2.5"]) {
            api.SetValue("cmi.interactions." + n + ".learner_response", v);
            out.push(api.GetLastError());
          }
          return out;
        }"""
    )
    assert codes[0] != "0" and codes[1] == "0", codes
