"""Run the generated SCOs in real Chromium against scorm-again, for SCORM 1.2 and 2004.

Expected values are computed here from the course model (weights, pass cutoff, outcome ids),
never read back from the runtime script; the runtime's results come from scorm-again's own CMI.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from builder.archive import extract_to
from builder.model import Course, Problem, Unit
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.browser.conftest import Player, Site

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser

VERSIONS = ("1.2", "2004")


# --------------------------------------------------------------------------- helpers


def objective_id(course: Course, version: str, outcome: str) -> str:
    return course.competences.uri(outcome) if version == "2004" else outcome


def objectives(cmi: dict[str, str]) -> dict[str, int]:
    """Objective id → index, from the runtime's data."""
    return {
        v: int(k.split(".")[2])
        for k, v in cmi.items()
        if k.startswith("cmi.objectives.") and k.endswith(".id")
    }


def completion(cmi: dict[str, str], version: str) -> str:
    return cmi["cmi.core.lesson_status"] if version == "1.2" else cmi["cmi.completion_status"]


def wrong_value(p: Problem) -> str:
    assert p.answer is not None
    return str(p.answer + 10 * (p.tolerance_value() + 1))


def answer(frame, p: Problem, correct: bool) -> None:
    """Fill in a right or wrong answer to ``p`` through the UI and submit it."""
    section = frame.locator(f"#p-{p.id}")
    good = [i for i, c in enumerate(p.choices) if c.correct]
    bad = [i for i, c in enumerate(p.choices) if not c.correct]
    if p.type == "single":
        section.locator(f"#p-{p.id}-c{(good if correct else bad)[0]}").check()
    elif p.type == "multiple":
        for i in range(len(p.choices)):
            box = section.locator(f"#p-{p.id}-c{i}")
            want = (i in good) if correct else (i == good[0] or (bool(bad) and i == bad[0]))
            box.set_checked(want)
    elif p.type == "dropdown":
        section.locator("select").select_option(str((good if correct else bad)[0]))
    elif p.type == "numeric":
        section.locator("input[type=text]").fill(str(p.answer) if correct else wrong_value(p))
    else:
        text = p.answers[0] if correct else "certainly not the answer"
        if correct and not p.case_sensitive:
            text = f"  {text.upper()} "
        section.locator("input[type=text]").fill(text)
    section.locator(".cp-submit").click()
    section.locator(".cp-status").filter(has_text="orrect").wait_for()


def unit_named(course: Course, unit_id: str) -> Unit:
    return next(u for u in course.units() if u.id == unit_id)


def expected_ratio(problems: list[Problem], right: set[str]) -> float:
    possible = sum(p.weight for p in problems)
    return sum(p.weight for p in problems if p.id in right) / possible


def assert_clean(player: Player) -> None:
    assert player.api_errors() == []
    assert player.bad_time_values() == []  # a strict LMS rejects them (Moodle 4.5: error 406)
    assert player.bad_decimal_values() == []  # Moodle's CMIDecimal is stricter than the spec
    assert player.console_errors == []
    assert player.outside_requests == []


def check_score(cmi: dict[str, str], version: str, ratio: float, cutoff: float) -> None:
    passed = ratio >= cutoff
    if version == "1.2":
        assert float(cmi["cmi.core.score.raw"]) == pytest.approx(ratio * 100, abs=0.01)
        assert cmi["cmi.core.score.max"] == "100"
        assert cmi["cmi.core.lesson_status"] == ("passed" if passed else "failed")
    else:
        assert float(cmi["cmi.score.scaled"]) == pytest.approx(ratio, abs=1e-4)
        assert float(cmi["cmi.score.raw"]) == pytest.approx(ratio * 100, abs=0.01)
        assert cmi["cmi.success_status"] == ("passed" if passed else "failed")
        assert cmi["cmi.completion_status"] == "completed"


def check_objective(cmi: dict[str, str], version: str, oid: str, ratio: float, cutoff: float) -> None:
    n = objectives(cmi)[oid]
    status = "passed" if ratio >= cutoff else "failed"
    if version == "1.2":
        assert cmi[f"cmi.objectives.{n}.status"] == status
    else:
        assert cmi[f"cmi.objectives.{n}.success_status"] == status
        assert float(cmi[f"cmi.objectives.{n}.score.scaled"]) == pytest.approx(ratio, abs=1e-4)
    assert float(cmi[f"cmi.objectives.{n}.score.raw"]) == pytest.approx(ratio * 100, abs=0.01)


def resume_seed(cmi: dict[str, str], version: str) -> dict[str, str]:
    """What an LMS hands a SCO on its next launch: the stored data plus entry=resume."""
    keep = {
        k: v
        for k, v in cmi.items()
        if isinstance(v, str)
        and not k.endswith(("._children", "._count", "session_time", "total_time"))
        and (k.startswith(("cmi.suspend_data", "cmi.objectives.", "cmi.interactions.")) or "location" in k)
        and "learner_response" not in k  # type-dependent formats: scorm-again re-validates on load
        and v != ""
    }
    keep["cmi.core.entry" if version == "1.2" else "cmi.entry"] = "resume"
    return keep


# --------------------------------------------------------------------------- every SCO


@pytest.mark.parametrize("version", VERSIONS)
def test_every_sco_initializes_completes_and_terminates(
    browser_context, scorm_site: Site, version: str
) -> None:
    started = time.monotonic()
    checked = 0
    # the English courses the fixture built; other tests may add translated ones to the same site
    for key in ("tiny", "sample"):
        course = scorm_site.courses[key]
        units = course.units()
        for n, unit in enumerate(units, start=1):
            page = browser_context.new_page()
            try:
                player = Player(page, scorm_site)
                player.launch(version, scorm_site.url(key, version, "unit", unit.id))
                progress = player.frame.locator("#cp-progress").text_content() or ""
                assert progress.startswith(f"Unit {n} of {len(units)}")
                if unit.problems:
                    assert f"0 of {len(unit.problems)} question" in progress
                player.end()
                cmi = player.cmi()
                log = player.log()
                init = [e for e in log if e["call"] in ("LMSInitialize", "Initialize")]
                term = [e for e in log if e["call"] in ("LMSFinish", "Terminate")]
                assert [e["result"] for e in init] == ["true"], unit.id
                assert [e["result"] for e in term] == ["true"], unit.id
                assert_clean(player)
                assert completion(cmi, version) == ("incomplete" if unit.problems else "completed"), unit.id
                exit_key = "cmi.core.exit" if version == "1.2" else "cmi.exit"
                assert cmi[exit_key] == "suspend"
                expected_ids = {objective_id(course, version, o) for o in unit.all_outcomes()}
                assert set(objectives(cmi)) == expected_ids, unit.id
                checked += 1
            finally:
                page.close()
    assert checked >= 3
    print(f"{checked} SCOs checked for SCORM {version} in {time.monotonic() - started:.1f}s")


# --------------------------------------------------------------------------- grading


@pytest.mark.parametrize("version", VERSIONS)
def test_single_choice_feedback_hints_attempts_and_explanation(player: Player, version: str) -> None:
    course = player.site.courses["tiny"]
    unit = unit_named(course, "u-intro")
    (p,) = unit.problems
    cutoff = course.grading.pass_cutoff
    player.launch(version, player.site.url("tiny", version, "unit", unit.id))
    section = player.frame.locator(f"#p-{p.id}")
    section.locator(".cp-hint-button").click()
    assert section.locator('.cp-hint[data-hint="0"]').is_visible()
    answer(player.frame, p, correct=False)
    wrong = next(i for i, c in enumerate(p.choices) if not c.correct)
    assert section.locator(f'.cp-feedback[data-choice="{wrong}"]').is_visible()
    assert not section.locator(".cp-explanation").is_visible()
    assert "1 of 2 attempts left" in (section.locator(".cp-attempts").text_content() or "")
    cmi = player.cmi()
    check_score(cmi, version, 0.0, cutoff)
    check_objective(cmi, version, objective_id(course, version, p.assesses[0]), 0.0, cutoff)

    answer(player.frame, p, correct=True)
    assert section.locator(".cp-explanation").is_visible()
    assert section.locator(".cp-submit").is_disabled()
    assert "1 of 1 question answered" in (player.frame.locator("#cp-progress").text_content() or "")
    player.end()
    cmi = player.cmi()
    check_score(cmi, version, 1.0, cutoff)
    check_objective(cmi, version, objective_id(course, version, p.assesses[0]), 1.0, cutoff)
    assert_clean(player)
    results = sorted(v for k, v in cmi.items() if k.startswith("cmi.interactions.") and k.endswith(".result"))
    if version == "1.2":  # journaled: one record per attempt
        assert results == ["correct", "wrong"]
    else:  # one record per problem, updated
        assert results == ["correct"]
        assert cmi["cmi.interactions.0.type"] == "choice"


@pytest.mark.parametrize("version", VERSIONS)
def test_multiple_and_numeric_with_weights_and_relative_tolerance(player: Player, version: str) -> None:
    course = player.site.courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    player.launch(version, player.site.url("tiny", version, "unit", unit.id))
    answer(player.frame, multiple, correct=False)
    # 24 ± 5 % accepts 25.1: relative tolerance, not absolute.
    numeric_input = player.frame.locator(f"#p-{numeric.id} input[type=text]")
    numeric_input.fill("not a number")
    player.frame.locator(f"#p-{numeric.id} .cp-submit").click()
    assert "enter a number" in (player.frame.locator(f"#p-{numeric.id} .cp-status").text_content() or "")
    numeric_input.fill("25.1")
    player.frame.locator(f"#p-{numeric.id} .cp-submit").click()
    player.frame.locator(f"#p-{numeric.id} .cp-status").filter(has_text="Correct").wait_for()
    player.end()
    cmi = player.cmi()
    ratio = expected_ratio(unit.problems, {numeric.id})
    check_score(cmi, version, ratio, course.grading.pass_cutoff)
    check_objective(
        cmi, version, objective_id(course, version, "TM.U1.S1"), ratio, course.grading.pass_cutoff
    )
    assert_clean(player)
    types = {v for k, v in cmi.items() if k.endswith(".type") and k.startswith("cmi.interactions.")}
    assert types == {"choice", "numeric"}


@pytest.mark.parametrize("version", VERSIONS)
def test_text_and_dropdown_score_separate_objectives(player: Player, version: str) -> None:
    course = player.site.courses["tiny"]
    unit = unit_named(course, "u-report")
    text, dropdown = unit.problems
    cutoff = course.grading.pass_cutoff
    player.launch(version, player.site.url("tiny", version, "unit", unit.id))
    answer(player.frame, text, correct=True)  # upper case and padded: case rule + trimming
    answer(player.frame, dropdown, correct=False)
    player.end()
    cmi = player.cmi()
    check_score(cmi, version, expected_ratio(unit.problems, {text.id}), cutoff)
    check_objective(cmi, version, objective_id(course, version, text.assesses[0]), 1.0, cutoff)
    check_objective(cmi, version, objective_id(course, version, dropdown.assesses[0]), 0.0, cutoff)
    assert_clean(player)
    if version == "2004":
        by_id = {
            cmi[k]: k[: -len(".id")] for k in cmi if k.startswith("cmi.interactions.") and k.endswith(".id")
        }
        t = by_id[f"urn:coursepack:{course.slug}:{text.id}"]
        assert cmi[f"{t}.type"] == "fill-in" and cmi[f"{t}.result"] == "correct"
        d = by_id[f"urn:coursepack:{course.slug}:{dropdown.id}"]
        assert cmi[f"{d}.result"] == "incorrect"


# --------------------------------------------------------------------------- resume and objectives


@pytest.mark.parametrize("version", VERSIONS)
def test_suspend_data_restores_answers_on_second_launch(
    browser_context, scorm_site: Site, version: str
) -> None:
    course = scorm_site.courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    url = scorm_site.url("tiny", version, "unit", unit.id)
    first = Player(browser_context.new_page(), scorm_site)
    first.launch(version, url)
    answer(first.frame, multiple, correct=True)
    first.frame.locator(f"#p-{numeric.id} .cp-hint-button").click()
    first.end()
    stored = first.cmi()
    assert completion(stored, version) == "incomplete"
    first.page.close()

    second = Player(browser_context.new_page(), scorm_site)
    second.launch(version, url, resume_seed(stored, version))
    frame = second.frame
    for i, c in enumerate(multiple.choices):
        assert frame.locator(f"#p-{multiple.id}-c{i}").is_checked() == c.correct
    assert frame.locator(f"#p-{multiple.id} .cp-submit").is_disabled()
    assert "1 of 2 questions answered" in (frame.locator("#cp-progress").text_content() or "")
    assert frame.locator(f'#p-{numeric.id} .cp-hint[data-hint="0"]').is_visible()
    answer(frame, numeric, correct=True)
    second.end()
    cmi = second.cmi()
    check_score(cmi, version, 1.0, course.grading.pass_cutoff)
    assert len(objectives(cmi)) == len(unit.all_outcomes())  # found again, not appended twice
    assert_clean(second)
    second.page.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_prefilled_objectives_are_reused_not_duplicated(player: Player, version: str) -> None:
    course = player.site.courses["tiny"]
    unit = unit_named(course, "u-report")
    text, dropdown = unit.problems
    unrelated = "urn:example:unrelated" if version == "2004" else "OTHER.1"
    prefilled = objective_id(course, version, dropdown.assesses[0])
    seed = {"cmi.objectives.0.id": unrelated, "cmi.objectives.1.id": prefilled}
    player.launch(version, player.site.url("tiny", version, "unit", unit.id), seed)
    answer(player.frame, text, correct=True)
    answer(player.frame, dropdown, correct=True)
    player.end()
    cmi = player.cmi()
    ids = objectives(cmi)
    assert ids[unrelated] == 0 and ids[prefilled] == 1
    assert ids[objective_id(course, version, text.assesses[0])] == 2
    assert len(ids) == 3
    check_objective(cmi, version, prefilled, 1.0, course.grading.pass_cutoff)
    assert_clean(player)


# --------------------------------------------------------------------------- course SCO and limits


@pytest.mark.parametrize("version", VERSIONS)
def test_course_sco_navigates_aggregates_and_resumes_location(
    browser_context, scorm_site: Site, version: str
) -> None:
    course = scorm_site.courses["tiny"]
    url = scorm_site.url("tiny", version, "course", "course")
    player = Player(browser_context.new_page(), scorm_site)
    player.launch(version, url)
    frame = player.frame
    units = course.units()
    wrong = units[-1].problems[-1]
    for n, unit in enumerate(units):
        assert (frame.locator("#cp-progress").text_content() or "").startswith(
            f"Unit {n + 1} of {len(units)}"
        )
        for p in unit.problems:
            answer(frame, p, correct=p is not wrong)
        if n < len(units) - 1:
            frame.locator("#cp-next").click()
    frame.locator("#cp-prev").click()
    player.end()
    cmi = player.cmi()
    ratio = expected_ratio(course.problems(), {p.id for p in course.problems()} - {wrong.id})
    check_score(cmi, version, ratio, course.grading.pass_cutoff)
    location = cmi["cmi.core.lesson_location" if version == "1.2" else "cmi.location"]
    assert location == str(len(units) - 2)
    assert set(objectives(cmi)) == {objective_id(course, version, o) for u in units for o in u.all_outcomes()}
    assert_clean(player)
    player.page.close()

    again = Player(browser_context.new_page(), scorm_site)
    again.launch(version, url, resume_seed(cmi, version))
    assert again.frame.locator(f"#unit-{units[-2].id}").is_visible()
    assert not again.frame.locator(f"#unit-{units[0].id}").is_visible()
    again.end()
    assert_clean(again)
    again.page.close()


def _worst_case_suspend(course: Course) -> str:
    """Every problem used up with the longest response the runtime stores (the documented format)."""
    rows = []
    for p in course.problems():
        attempts = p.max_attempts or 99
        if p.type in ("single", "dropdown"):
            resp: object = len(p.choices) - 1
        elif p.type == "multiple":
            resp = list(range(len(p.choices)))
        else:
            resp = "9" * 32 if p.type == "numeric" else "x" * 100
        rows.append([attempts, 0, len(p.hints_html), resp])
    return json.dumps({"a": rows, "s": "1" * len(course.units())}, separators=(",", ":"))


@pytest.mark.parametrize("version", VERSIONS)
def test_worst_case_suspend_data_fits_the_limit(browser_context, scorm_site: Site, version: str) -> None:
    limit = 4096 if version == "1.2" else 64000
    for key, course in scorm_site.courses.items():
        seed = {"cmi.suspend_data": _worst_case_suspend(course)}
        seed["cmi.core.entry" if version == "1.2" else "cmi.entry"] = "resume"
        player = Player(browser_context.new_page(), scorm_site)
        player.launch(version, scorm_site.url(key, version, "course", "course"), seed)
        player.end()
        stored = player.cmi()["cmi.suspend_data"]
        print(f"{key} {version}: worst case {len(seed['cmi.suspend_data'])} → stored {len(stored)} chars")
        assert len(stored) <= limit
        kept = json.loads(stored)["a"]
        assert kept == json.loads(seed["cmi.suspend_data"])["a"]  # fits: responses kept as well
        assert_clean(player)
        player.page.close()


def test_oversized_suspend_data_drops_responses_but_keeps_grades(browser_context, scorm_site: Site) -> None:
    """Past 4096 characters (1.2) the runtime keeps attempts, grades and hints and drops responses."""
    course = scorm_site.courses["tiny"]
    state = json.loads(_worst_case_suspend(course))
    text_index = next(i for i, p in enumerate(course.problems()) if p.type == "text")
    state["a"][text_index][3] = "y" * 5000
    seed = {"cmi.suspend_data": json.dumps(state, separators=(",", ":")), "cmi.core.entry": "resume"}
    player = Player(browser_context.new_page(), scorm_site)
    player.launch("1.2", scorm_site.url("tiny", "1.2", "course", "course"), seed)
    player.end()
    stored = player.cmi()["cmi.suspend_data"]
    assert len(stored) <= 4096
    assert json.loads(stored)["a"] == [row[:3] for row in state["a"]]
    assert_clean(player)
    player.page.close()


def test_standalone_mode_shows_notice_and_still_grades(browser_context, scorm_site: Site) -> None:
    course = scorm_site.courses["tiny"]
    unit = unit_named(course, "u-intro")
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(scorm_site.base + scorm_site.url("tiny", "1.2", "unit", unit.id))
    page.locator("#cp-standalone").wait_for(state="visible")
    assert "not saved" in (page.locator("#cp-standalone").text_content() or "")
    (p,) = unit.problems
    answer(page, p, correct=True)
    assert page.locator(f"#p-{p.id} .cp-explanation").is_visible()
    assert page.locator("img[alt='A diagram']").count() == 1
    assert errors == []
    page.close()


def _keyboard_case(course: Course) -> tuple[Unit, Problem]:
    """A unit whose first problem is single-choice with the right answer not first (arrows needed)."""
    for unit in course.units():
        if unit.problems and unit.problems[0].type == "single" and not unit.problems[0].choices[0].correct:
            return unit, unit.problems[0]
    raise AssertionError("the sample course has no single-choice problem whose answer is not first")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_problem_can_be_answered_with_the_keyboard_alone(player: Player, version: str) -> None:
    course = player.site.courses["sample"]
    unit, p = _keyboard_case(course)
    player.launch(version, player.site.url("sample", version, "unit", unit.id))
    frame, keyboard = player.frame, player.page.keyboard
    radios = [frame.locator(f"#p-{p.id}-c{i}") for i in range(len(p.choices))]
    radio_ids = [r.get_attribute("id") for r in radios]
    body = frame.locator("body")
    active = "b => document.activeElement && document.activeElement.id"
    for _ in range(200):  # Tab from the top of the player page into the problem's choices
        keyboard.press("Tab")
        if body.evaluate(active) in radio_ids:
            break
    else:
        pytest.fail("Tab never reached the choices")
    target = next(i for i, c in enumerate(p.choices) if c.correct)
    for _ in range(len(p.choices)):  # arrow keys move the selection within a radio group
        if body.evaluate(active) == radio_ids[target]:
            break
        keyboard.press("ArrowDown")
    keyboard.press("Space")  # Tab focuses a radio without selecting it; Space selects
    assert radios[target].is_checked()
    keyboard.press("Enter")  # implicit form submission
    frame.locator(f"#p-{p.id} .cp-status").filter(has_text="orrect").wait_for()
    player.end()
    cmi = player.cmi()
    oid = objective_id(course, version, p.assesses[0])
    n = objectives(cmi)[oid]
    key = f"cmi.objectives.{n}.score.raw"
    others = [q for q in unit.problems if p.assesses[0] in q.assesses]
    assert float(cmi[key]) == pytest.approx(100 * p.weight / sum(q.weight for q in others), abs=0.01)
    assert_clean(player)


# --------------------------------------------------------------------------- UI language


def _italian_site(site: Site, version: str) -> str:
    """Build the tiny course as an Italian course (one package) beside the others; its site key."""
    key = "tiny_it"
    folder = site.root / f"{key}-{version}-unit"
    if not folder.is_dir():
        course = site.courses["tiny"].model_copy(update={"language": "it"})
        module = scorm12 if version == "1.2" else scorm2004
        (out,) = module.render(course, BuildOptions())
        extract_to(out.members, folder)
    return key


def _fill(table: dict[str, str], key: str, **values: object) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), table[key])


@pytest.mark.parametrize("version", VERSIONS)
def test_an_italian_sco_speaks_italian(player: Player, version: str) -> None:
    it = json.loads((ROOT / "scorm_templates" / "i18n" / "it.json").read_text(encoding="utf-8"))
    course = player.site.courses["tiny"]
    units = course.units()
    unit = unit_named(course, "u-intro")
    (p,) = unit.problems
    assert p.max_attempts == 2 and len(p.hints_html) == 1
    player.launch(version, player.site.url(_italian_site(player.site, version), version, "unit", unit.id))
    frame = player.frame
    assert frame.locator("html").get_attribute("lang") == "it"
    progress = frame.locator("#cp-progress")
    n = units.index(unit) + 1
    unit_line = _fill(it, "progress_unit", n=n, total=len(units))
    assert unit_line == f"Unità {n} di {len(units)}"
    assert progress.text_content() == f"{unit_line} · {_fill(it, 'questions_one', answered=0, count=1)}"
    section = frame.locator(f"#p-{p.id}")
    assert section.locator(".cp-hint-button").text_content() == "Mostra suggerimento (1 di 1)"

    wrong = next(i for i, c in enumerate(p.choices) if not c.correct)
    section.locator(f"#p-{p.id}-c{wrong}").check()
    section.locator(".cp-submit").click()
    status = section.locator(".cp-status")
    status.filter(has_text=it["incorrect"]).wait_for()
    assert status.text_content() == f"{it['incorrect']} {it['try_again']}" == "Non corretto. Riprova."
    assert section.locator(".cp-attempts").text_content() == "Tentativi rimasti: 1 su 2"
    assert progress.text_content() == f"{unit_line} · Risposte: 1 su 1"

    right = next(i for i, c in enumerate(p.choices) if c.correct)
    section.locator(f"#p-{p.id}-c{right}").check()
    section.locator(".cp-submit").click()
    status.filter(has_text=it["correct"]).wait_for()
    assert status.text_content() == "Corretto."
    assert section.locator(".cp-attempts").text_content() == _fill(it, "attempts_left", left=0, max=2)
    player.end()
    assert_clean(player)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_graded_answer_is_committed_before_any_unload(player: Player, version: str) -> None:
    """A learner may close the window without any unload handler running (a crash, a killed tab,
    Chromium refusing work during unload): each answer must already be committed, and so must the
    score once the last problem is answered (no score before: an LMS would judge a partial one)."""
    course = player.site.courses["sample"]
    unit = next(u for u in course.units() if len(u.problems) == 3)
    player.launch(version, player.site.url("sample", version, "unit", unit.id))
    raw_key = "cmi.core.score.raw" if version == "1.2" else "cmi.score.raw"
    set_call = "LMSSetValue" if version == "1.2" else "SetValue"
    commit_call = "LMSCommit" if version == "1.2" else "Commit"
    for n, p in enumerate(unit.problems, start=1):
        before = len(player.log())
        answer(player.frame, p, correct=True)
        player.page.wait_for_function(f"harness.log.slice({before}).some(e => e.call === '{commit_call}')")
        new = player.log()[before:]

        def last_set(element: str, new: list[dict] = new) -> int:
            found = [i for i, e in enumerate(new) if e["call"] == set_call and e["args"][0] == element]
            return found[-1] if found else -1

        commits = [i for i, e in enumerate(new) if e["call"] == commit_call and e["result"] == "true"]
        saved = last_set("cmi.suspend_data")
        assert saved >= 0 and json.loads(new[saved]["args"][1])["a"][n - 1][1] == 1, p.id
        assert commits and commits[-1] > saved, f"the answer to {p.id} was not committed"
        if n < len(unit.problems):
            assert last_set(raw_key) < 0, f"a score was sent before the last problem ({p.id})"
        else:
            assert 0 <= last_set(raw_key) < commits[-1], f"the final score ({p.id}) was not committed"
    assert not [e for e in player.log() if e["call"] in ("LMSFinish", "Terminate")]
    assert_clean(player)
