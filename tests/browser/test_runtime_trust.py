"""What a strict LMS records from the SCO runtime: judgement of unfinished SCOs, traffic, titles.

The LMS here behaves like Moodle's defaults: SCORM 1.2 with ``masteryoverride`` on (scorm-again's
``mastery_override``, fed the manifest's ``adlcp:masteryscore`` as ``cmi.student_data.mastery_score``
in credit mode), so at LMSFinish any ``score.raw`` is turned into passed/failed; SCORM 2004 with the
manifest's ``minNormalizedMeasure`` as ``cmi.scaled_passing_score``, so any ``score.scaled`` decides
``success_status`` (RTE Table 4.2.21.1a, applied by the player). Scripted learners then check what
is recorded after the session ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree as ET

import pytest

from builder.archive import extract_to
from builder.model import Course, Problem, Unit
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.browser.conftest import Player, Site, time_values
from tests.browser.test_scorm_browser import VERSIONS, answer, assert_clean, resume_seed, unit_named

pytestmark = pytest.mark.browser

ADLCP12 = "{http://www.adlnet.org/xsd/adlcp_rootv1p2}"
IMSSS = "{http://www.imsglobal.org/xsd/imsss}"


# --------------------------------------------------------------------------- a strict LMS


def manifest_mastery(site: Site, key: str, version: str, sco: str, name: str) -> str:
    """The mastery value an LMS reads from the package manifest for the SCO page ``name``."""
    root = ET.parse(site.root / f"{key}-{version}-{sco}" / "imsmanifest.xml").getroot()
    resource = next(r for r in root.iter() if r.get("href") == f"sco/{name}.html")
    item = next(i for i in root.iter() if i.get("identifierref") == resource.get("identifier"))
    if version == "1.2":
        found = item.find(f"{ADLCP12}masteryscore")
    else:
        primary = item.find(f"{IMSSS}sequencing/{IMSSS}objectives/{IMSSS}primaryObjective")
        assert primary is not None and primary.get("satisfiedByMeasure") == "true"
        found = primary.find(f"{IMSSS}minNormalizedMeasure")
    assert found is not None and found.text, "the manifest must keep its mastery score"
    return found.text


def strict_seed(site: Site, key: str, version: str, sco: str, name: str) -> dict[str, str]:
    mastery = manifest_mastery(site, key, version, sco, name)
    if version == "1.2":
        return {
            "cmi.student_data.mastery_score": mastery,
            "cmi.core.credit": "credit",
            "cmi.core.lesson_mode": "normal",
        }
    return {"cmi.scaled_passing_score": mastery, "cmi.credit": "credit", "cmi.mode": "normal"}


@dataclass
class Record:
    """What the LMS holds after the session: status (1.2) or completion + judged success (2004)."""

    completion: str
    success: str
    raw: str


def recorded(player: Player) -> Record:
    cmi = player.cmi()
    if player.version == "1.2":
        status = cmi["cmi.core.lesson_status"]
        done = status in ("passed", "failed", "completed")
        success = status if status in ("passed", "failed") else "unknown"
        return Record("completed" if done else "incomplete", success, cmi.get("cmi.core.score.raw", ""))
    return Record(
        cmi["cmi.completion_status"], player.page.evaluate("harness.judged()"), cmi["cmi.score.raw"]
    )


def never_failed_while_a_pass_is_possible(player: Player) -> None:
    """2004: success may be reported early only when it can no longer be lost (here: never)."""
    for snap in player.page.evaluate("harness.snapshots"):
        if player.version == "1.2":
            assert snap["status"] in ("incomplete", "passed", "failed", "completed"), snap
            if snap["status"] == "incomplete":
                assert snap["raw"] == "", f"a score an LMS can judge was sent while incomplete: {snap}"
        elif snap["completion"] != "completed":
            assert snap["success"] == "unknown" and snap["raw"] == "", snap


# --------------------------------------------------------------------------- scripted learners


def sample_unit(course: Course, count: int) -> Unit:
    """The first sample unit with exactly ``count`` problems."""
    return next(u for u in course.units() if len(u.problems) == count)


def use_up(frame, p: Problem) -> None:
    """Answer ``p`` wrongly until no attempt is left."""
    assert p.max_attempts, p.id
    for _ in range(p.max_attempts):
        answer(frame, p, correct=False)
    assert frame.locator(f"#p-{p.id} .cp-submit").is_disabled()


SCRIPTS = {
    # name: (problems in the unit, what the learner does per problem, expected record)
    "2-of-3-right": (3, "RR-", ("incomplete", "unknown", "")),
    "2-of-4-right": (4, "RR--", ("incomplete", "unknown", "")),
    "2-of-3-wrong": (3, "WW-", ("incomplete", "unknown", "")),
    "all-right": (3, "RRR", ("completed", "passed", "100")),
    "all-wrong": (3, "WWW", ("completed", "failed", "0")),
    "attempts-used-up": (3, "RRU", ("completed", "passed", "66.67")),
    "attempts-used-up-fail": (3, "RUU", ("completed", "failed", "33.33")),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
@pytest.mark.parametrize("version", VERSIONS)
def test_an_unfinished_sco_is_not_judged_by_a_strict_lms(player: Player, version: str, script: str) -> None:
    count, moves, (completion, success, raw) = SCRIPTS[script]
    course = player.site.courses["sample"]
    assert course.grading.pass_cutoff == 0.6  # the expected records below assume it
    unit = sample_unit(course, count)
    seed = strict_seed(player.site, "sample", version, "unit", unit.id)
    player.launch(version, player.site.url("sample", version, "unit", unit.id), seed)
    for p, move in zip(unit.problems, moves, strict=True):
        if move in "RW":
            answer(player.frame, p, correct=move == "R")
        elif move == "U":
            use_up(player.frame, p)
    player.end()
    got = recorded(player)
    if version == "1.2" and completion == "incomplete":
        assert got.completion == "incomplete" and got.success == "unknown"
    else:
        assert (got.completion, got.success) == (completion, success)
    assert got.raw == raw
    never_failed_while_a_pass_is_possible(player)
    assert_clean(player)


@pytest.mark.parametrize("version", VERSIONS)
def test_resume_then_finish_is_judged_only_at_the_end(
    browser_context, scorm_site: Site, version: str
) -> None:
    course = scorm_site.courses["sample"]
    unit = sample_unit(course, 3)
    url = scorm_site.url("sample", version, "unit", unit.id)
    seed = strict_seed(scorm_site, "sample", version, "unit", unit.id)
    first = Player(browser_context.new_page(), scorm_site)
    first.launch(version, url, seed)
    answer(first.frame, unit.problems[0], correct=True)
    answer(first.frame, unit.problems[1], correct=False)
    first.end()
    got = recorded(first)
    assert (got.completion, got.success, got.raw) == ("incomplete", "unknown", "")
    never_failed_while_a_pass_is_possible(first)
    assert_clean(first)
    stored = first.cmi()
    first.page.close()

    second = Player(browser_context.new_page(), scorm_site)
    second.launch(version, url, {**resume_seed(stored, version), **seed})
    answer(second.frame, unit.problems[2], correct=True)
    second.end()
    got = recorded(second)
    assert (got.completion, got.success, got.raw) == ("completed", "passed", "66.67")
    never_failed_while_a_pass_is_possible(second)
    assert_clean(second)
    second.page.close()


# --------------------------------------------------------------------------- time formats


@pytest.mark.parametrize("version", VERSIONS)
def test_every_time_value_matches_the_spec_format(player: Player, version: str) -> None:
    """Interaction times and the session time, checked against the spec regexes (not scorm-again,
    which accepts 3 fractional digits that Moodle 4.5 rejects with 406)."""
    course = player.site.courses["tiny"]
    unit = unit_named(course, "u-practice")
    player.launch(version, player.site.url("tiny", version, "unit", unit.id))
    for p in unit.problems:
        answer(player.frame, p, correct=False)
    player.end()
    values = time_values(player.log(), version)
    kinds = {el.rsplit(".", 1)[-1] for el, _, _ in values}
    assert kinds == ({"time", "session_time"} if version == "1.2" else {"timestamp", "session_time"})
    assert [(el, v) for el, v, ok in values if not ok] == []
    assert_clean(player)


# --------------------------------------------------------------------------- traffic


def course_session(player: Player, course: Course, units: int) -> int:
    """Answer every problem of the first ``units`` units (one hint where there is one), paging on."""
    graded = 0
    frame = player.frame
    for n, unit in enumerate(course.units()[:units]):
        for k, p in enumerate(unit.problems):
            if p.hints_html and k == 0:
                frame.locator(f"#p-{p.id} .cp-hint-button").click()
            answer(frame, p, correct=k % 3 != 2)
            graded += 1
        frame.locator("#cp-next").click()
        frame.locator(f"#unit-{course.units()[n + 1].id}").wait_for(state="visible")
    return graded


@pytest.mark.parametrize("version", VERSIONS)
def test_course_sco_traffic_grows_with_answers_not_with_course_size(player: Player, version: str) -> None:
    course = player.site.courses["sample"]
    player.launch(version, player.site.url("sample", version, "course", "course"))
    graded = course_session(player, course, 16)
    player.end()
    log = player.log()
    commit = "LMSCommit" if version == "1.2" else "Commit"
    commits = sum(e["call"] == commit for e in log)
    print(f"SCORM {version} course SCO: {graded} answers, {len(log)} API calls, {commits} commits")
    assert graded >= 20
    assert commits <= graded + 3  # one per graded answer, plus start and finish
    objectives = len({o for u in course.units() for o in u.all_outcomes()})
    # Start: restore + one write per objective; per answer: the interaction, score/objective
    # changes and suspend_data; no re-reading, no re-sending of unchanged values.
    assert len(log) <= 40 + 3 * objectives + 14 * graded, len(log)
    assert_clean(player)


# --------------------------------------------------------------------------- page title


@pytest.mark.parametrize("sco", ["course", "unit"])
def test_the_page_title_names_the_course_once(player: Player, sco: str) -> None:
    course = player.site.courses["sample"]
    unit = course.units()[0]
    name = "course" if sco == "course" else unit.id
    player.launch("2004", player.site.url("sample", "2004", sco, name))
    title = player.page.frame_locator("#sco").locator("title").text_content() or ""
    assert title.count(course.title) == 1, title
    if sco == "unit":
        assert title.startswith(unit.title)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("version", VERSIONS)
def test_a_huge_numeric_answer_sends_nothing_moodle_rejects(player: Player, version: str) -> None:
    """Moodle's 2004 CMIDecimal holds at most 5 integer digits (406 otherwise); the answer is still
    graded and its result recorded."""
    course = player.site.courses["sample"]
    unit = next(u for u in course.units() if any(p.type == "numeric" for p in u.problems))
    p = next(p for p in unit.problems if p.type == "numeric")
    player.launch(version, player.site.url("sample", version, "unit", unit.id))
    section = player.frame.locator(f"#p-{p.id}")
    section.locator("input[type=text]").fill("123456789.5")
    section.locator(".cp-submit").click()
    section.locator(".cp-status").filter(has_text="orrect").wait_for()
    player.end()
    results = [
        v for k, v in player.cmi().items() if k.startswith("cmi.interactions.") and k.endswith(".result")
    ]
    assert results == ["wrong" if version == "1.2" else "incorrect"]
    assert_clean(player)


def _edge_site(site: Site, version: str) -> str:
    """The tiny course with weights that make one answer score 59.996 %: 60 once rounded."""
    key = "tiny_edge"
    folder = site.root / f"{key}-{version}-unit"
    if not folder.is_dir():
        course = site.courses["tiny"].model_copy(deep=True)
        multiple, numeric = unit_named(course, "u-practice").problems
        multiple.weight, numeric.weight = 0.59996, 0.40004
        module = scorm12 if version == "1.2" else scorm2004
        (out,) = module.render(course, BuildOptions())
        extract_to(out.members, folder)
    return key


@pytest.mark.parametrize("version", VERSIONS)
def test_the_sco_judges_the_score_it_reports_as_the_lms_does(player: Player, version: str) -> None:
    """The LMS compares the reported (rounded) score with the mastery score; the SCO must reach
    the same verdict from the same number, or the record says failed with a passing score."""
    course = player.site.courses["tiny"]
    assert course.grading.pass_cutoff == 0.6
    key = _edge_site(player.site, version)
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    seed = strict_seed(player.site, key, version, "unit", unit.id)
    player.launch(version, player.site.url(key, version, "unit", unit.id), seed)
    answer(player.frame, multiple, correct=True)
    answer(player.frame, numeric, correct=False)
    setter = "LMSSetValue" if version == "1.2" else "SetValue"
    status_key = "cmi.core.lesson_status" if version == "1.2" else "cmi.success_status"
    sent = [e["args"][1] for e in player.log() if e["call"] == setter and e["args"][0] == status_key]
    player.end()
    got = recorded(player)
    assert got.raw == "60"
    assert (got.completion, got.success) == ("completed", "passed")
    assert sent[-1] == "passed"  # what the SCO itself said
    assert_clean(player)


# ----------------------------------------------------------------- a course SCO, a page unread


def _outro_site(site: Site, version: str) -> str:
    """The tiny course plus a last unit without problems, as one course SCO."""
    from builder.model import Html

    key = "tiny_outro"
    folder = site.root / f"{key}-{version}-course"
    if not folder.is_dir():
        course = site.courses["tiny"].model_copy(deep=True)
        last = course.sections[-1].subsections[-1]
        last.units.append(
            Unit(
                id="u-outro",
                title="Where next",
                outcomes=["TM.U2.R1"],
                source="outline/02-c/01-d/02-outro.md",
                components=[Html(id="u-outro.html-1", markdown="Bye", html="<p>Bye.</p>\n")],
            )
        )
        module = scorm12 if version == "1.2" else scorm2004
        (out,) = module.render(course, BuildOptions(sco="course"))
        extract_to(out.members, folder)
    return key


@pytest.mark.parametrize("version", VERSIONS)
def test_a_course_sco_is_graded_once_its_problems_are_finished(player: Player, version: str) -> None:
    """Every problem answered, the last (reading) page never opened: the problems are finished, so
    SCORM 1.2 records the verdict (a Moodle trainer sees the grade); SCORM 2004, which keeps
    completion apart, stays incomplete and unjudged until the page is read."""
    course = player.site.courses["tiny"]
    key = _outro_site(player.site, version)
    seed = strict_seed(player.site, key, version, "course", "course")
    player.launch(version, player.site.url(key, version, "course", "course"), seed)
    frame = player.frame
    units = course.units()
    for n, unit in enumerate(units):
        for p in unit.problems:
            answer(frame, p, correct=True)
        if n + 1 < len(units):
            frame.locator("#cp-next").click()
            frame.locator(f"#unit-{units[n + 1].id}").wait_for(state="visible")
    player.end()
    got = recorded(player)
    if version == "1.2":
        assert (got.completion, got.success, got.raw) == ("completed", "passed", "100")
    else:
        assert (got.completion, got.success, got.raw) == ("incomplete", "unknown", "")
    never_failed_while_a_pass_is_possible(player)
    assert_clean(player)
