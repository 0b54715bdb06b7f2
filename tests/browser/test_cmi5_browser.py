"""Run the cmi5 AUs in headless Chromium against a real LRS (Ralph) behind a small cmi5 LMS.

Each test launches an AU the way a cmi5 LMS does (``cmi5_lms.py``), works through it as a learner
and then reads back from Ralph what was recorded. Expected scores come from the course model
(weights, pass cutoff), never from the runtime. The cmi5 rules asserted are those of cmi5 (quartz)
§9.3 (verb order and counts), §9.5 (result), §9.6 (context) and §10 (launch modes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from builder.archive import extract_to
from builder.model import Course
from builder.targets import BuildOptions, cmi5
from builder.targets.cmi5 import au_iri
from tests.browser.cmi5_lms import Cmi5LMS, Launch, RalphLRS
from tests.browser.conftest import _load_sample
from tests.browser.test_scorm_browser import answer, expected_ratio, unit_named
from tests.factories import make_course

pytestmark = pytest.mark.browser

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
MASTERY = "https://w3id.org/xapi/cmi5/context/extensions/masteryscore"
VERB = "http://adlnet.gov/expapi/verbs/"
DEFINED = {"initialized", "completed", "passed", "failed", "terminated"}
DURATION = re.compile(r"^PT(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)$")
OBJECTIVE_TYPE = "http://adlnet.gov/expapi/activities/objective"


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cmi5LMS, dict[str, Course]]]:
    for module in ("ralph", "fastapi", "uvicorn", "bcrypt"):  # not ralph.api: importing it starts an app
        pytest.importorskip(module, reason="Ralph is not installed: pip install -e '.[test]'")
    root = tmp_path_factory.mktemp("cmi5-www")
    courses = {"tiny": make_course(tmp_path_factory.mktemp("tiny-src")), "sample": _load_sample()}
    for key, course in courses.items():
        (out,) = cmi5.render(course, BuildOptions())
        extract_to(out.members, root / key)
    lrs = RalphLRS(tmp_path_factory.mktemp("ralph"))
    server = None
    try:
        site = Cmi5LMS(root, lrs)
        server = site.serve()
        yield site, courses
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        lrs.stop()


@pytest.fixture
def page(browser_context, lms) -> Iterator[object]:
    site, _ = lms
    p = browser_context.new_page()
    p.console_errors = []  # type: ignore[attr-defined]
    p.outside = []  # type: ignore[attr-defined]
    p.bad_responses = []  # type: ignore[attr-defined]
    # Chromium logs every 4xx as a console error; responses are judged below, by what they were for.
    p.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and p.console_errors.append(m.text)
        ),
    )
    p.on(
        "response",
        lambda r: (
            r.status >= 400
            and not _expected(r)
            and p.bad_responses.append(f"{r.request.method} {r.url}: {r.status}")
        ),
    )
    p.on("pageerror", lambda e: p.console_errors.append(f"pageerror: {e}"))
    p.on(
        "request",
        lambda r: r.url.startswith(site.base) or r.url.startswith("data:") or p.outside.append(r.url),
    )
    try:
        yield p
    finally:
        p.close()


# --------------------------------------------------------------------------- helpers


def _expected(response) -> bool:
    """xAPI answers 404 for a document that does not exist yet: the AU's own state on a first
    launch, the learner preferences when the learner set none (cmi5 §11). A 503 is what a test
    asked the LMS for (``fail_statements``)."""
    path = response.url.split("?", 1)[0]
    if response.status == 503 and path.endswith("/xapi/statements"):
        return True
    return (
        response.status == 404
        and response.request.method == "GET"
        and path.endswith(("/xapi/activities/state", "/xapi/agents/profile"))
    )


def start(page, site: Cmi5LMS, course: Course, key: str, unit_id: str, **kw) -> Launch:
    unit = unit_named(course, unit_id)
    launch = site.launch(key, f"sco/{unit.id}.html", au_iri(course, unit), **kw)
    page.goto(launch.url)
    page.wait_for_function("window.coursepack && window.coursepack.adapter() === 'cmi5'")
    return launch


def statements(site: Cmi5LMS, launch: Launch, until: str = "", timeout: float = 15) -> list[dict]:
    """The AU's statements of this session (the LMS's launched one left out), waiting for ``until``."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            s
            for s in site.lrs.statements(launch.registration)
            if s["context"].get("extensions", {}).get(SESSION) == launch.session
            and s["verb"]["id"] != VERB + "launched"
        ]
        if not until or any(s["verb"]["id"] == VERB + until for s in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def verbs(found: list[dict]) -> list[str]:
    return [s["verb"]["id"].removeprefix(VERB) for s in found]


def categories(s: dict) -> set[str]:
    return {a["id"] for a in s["context"].get("contextActivities", {}).get("category", [])}


def assert_cmi5_rules(found: list[dict], launch: Launch, mastery: float) -> None:
    """What every session must satisfy, whatever the learner did (§9.3, §9.5.4, §9.6)."""
    names = verbs(found)
    assert names[0] == "initialized"
    assert names[-1] == "terminated"
    defined = [n for n in names if n in DEFINED]
    assert len(defined) == len(set(defined)), f"a cmi5 defined verb twice in one session: {names}"
    assert names.count("passed") + names.count("failed") <= 1
    stamps = [s["timestamp"] for s in found]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    for s in found:
        ctx = s["context"]
        assert ctx["registration"] == launch.registration
        assert ctx["extensions"][SESSION] == launch.session
        assert {"id": launch.publisher_id, "objectType": "Activity"} in ctx["contextActivities"]["grouping"]
        assert s["actor"]["account"] == launch.actor["account"]
        name = s["verb"]["id"].removeprefix(VERB)
        if name in DEFINED:
            assert s["object"]["id"] == launch.activity_id
            assert CMI5_CATEGORY in categories(s)
            assert (MOVEON_CATEGORY in categories(s)) == (name in ("completed", "passed", "failed"))
        else:  # cmi5 allowed: neither category (§9.6.2.1)
            assert not categories(s) & {CMI5_CATEGORY, MOVEON_CATEGORY}
        if name in ("completed", "passed", "failed", "terminated"):
            assert DURATION.match(s["result"]["duration"]), s["result"]["duration"]
        if name == "passed":
            assert s["result"]["success"] is True
            assert s["result"]["score"]["scaled"] >= mastery
            assert ctx["extensions"][MASTERY] == mastery
        if name == "failed":
            assert s["result"]["success"] is False
            assert s["result"]["score"]["scaled"] < mastery
        if name == "completed":
            assert s["result"]["completion"] is True


def finish(page) -> None:
    page.evaluate("window.coursepack.finish()")


def clean(page, site: Cmi5LMS) -> None:
    assert page.console_errors == []
    assert page.bad_responses == []
    assert page.outside == []
    assert site.rejected == []
    assert page.evaluate("window.coursepack.errors()") == []


# --------------------------------------------------------------------------- tests


def test_a_passed_unit_records_initialized_answers_completed_passed_terminated(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    launch = start(page, site, course, "tiny", unit.id, mastery=course.grading.pass_cutoff)
    fetches = len(site.fetch_calls)
    for p in unit.problems:
        answer(page, p, correct=True)
    statements(site, launch, until="passed")
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "answered", "answered", "completed", "passed", "terminated"]
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    passed = found[4]
    assert passed["result"]["score"]["scaled"] == 1.0
    assert passed["result"]["score"]["raw"] == 100
    # the token was fetched once, at launch (§8.2: the fetch URL is one-time)
    assert fetches == 1 and len(site.fetch_calls) == 1
    clean(page, site)


def test_answered_statements_carry_the_problem_and_its_outcome_iris(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-report")
    launch = start(page, site, course, "tiny", unit.id)
    text, dropdown = unit.problems
    answer(page, text, correct=False)
    answer(page, dropdown, correct=True)
    finish(page)
    found = statements(site, launch, until="terminated")
    answered = [s for s in found if s["verb"]["id"] == VERB + "answered"]
    assert len(answered) == 2
    for s, p, ok in zip(answered, (text, dropdown), (False, True), strict=True):
        assert s["object"]["id"] == f"urn:coursepack:{course.slug}:{p.id}"
        assert s["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
        assert s["result"]["success"] is ok
        assert s["context"]["contextActivities"]["parent"] == [
            {"id": launch.activity_id, "objectType": "Activity"}
        ]
        other = s["context"]["contextActivities"]["other"]
        assert [a["id"] for a in other] == [course.competences.uri(o) for o in p.assesses]
        assert {a["definition"]["type"] for a in other} == {OBJECTIVE_TYPE}
    assert answered[0]["object"]["definition"]["interactionType"] == "fill-in"
    assert answered[0]["result"]["response"] == "certainly not the answer"
    assert answered[1]["object"]["definition"]["interactionType"] == "choice"
    assert answered[1]["result"]["response"] == "c1"
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_the_context_template_is_merged_into_every_statement(page, lms) -> None:
    """What the LMS puts in the template stays (§10: the AU uses it as the template for every
    context); the cmi5 categories are the AU's to set, even if the template carries one."""
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-report")
    extra = {
        "contextActivities": {
            "other": [{"id": "https://lms.example.org/catalog/42", "objectType": "Activity"}],
            "parent": [{"id": "https://lms.example.org/programme/7", "objectType": "Activity"}],
            "category": [{"id": CMI5_CATEGORY, "objectType": "Activity"}],
        },
        "extensions": {"https://lms.example.org/extensions/tenant": "t-1"},
    }
    launch = start(page, site, course, "tiny", unit.id, template=extra)
    for p in unit.problems:
        answer(page, p, correct=True)
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "answered", "answered", "completed", "passed", "terminated"]
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)  # incl. no cmi5 category on answered
    for s in found:
        ctx = s["context"]
        assert ctx["extensions"]["https://lms.example.org/extensions/tenant"] == "t-1"
        assert extra["contextActivities"]["other"][0] in ctx["contextActivities"]["other"]
        assert extra["contextActivities"]["parent"][0] in ctx["contextActivities"]["parent"]
    answered = found[1]
    assert {"id": launch.activity_id, "objectType": "Activity"} in answered["context"]["contextActivities"][
        "parent"
    ]
    outcome_ids = [a["id"] for a in answered["context"]["contextActivities"]["other"][1:]]
    assert outcome_ids == [course.competences.uri(o) for o in unit.problems[0].assesses]
    clean(page, site)


def test_no_failed_while_a_pass_is_possible_then_passed_after_a_retry(page, lms) -> None:
    """Multiple right, numeric (weight 2, unlimited attempts) wrong: 1/3 < 0.6 but not final."""
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    launch = start(page, site, course, "tiny", unit.id)
    answer(page, multiple, correct=True)
    answer(page, numeric, correct=False)
    found = statements(site, launch, until="completed")
    assert "failed" not in verbs(found)
    answer(page, numeric, correct=True)
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == [
        "initialized",
        "answered",
        "answered",
        "completed",
        "answered",
        "passed",
        "terminated",
    ]
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_failed_is_sent_when_the_session_ends_below_mastery(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    launch = start(page, site, course, "tiny", unit.id)
    answer(page, multiple, correct=True)
    answer(page, numeric, correct=False)
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "answered", "answered", "completed", "failed", "terminated"]
    ratio = expected_ratio(unit.problems, {multiple.id})
    assert found[4]["result"]["score"]["scaled"] == pytest.approx(ratio, abs=1e-4)
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_failed_at_once_when_no_attempt_is_left(page, lms) -> None:
    """The intro's only problem allows 2 attempts: two wrong answers end every chance to pass."""
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-intro")
    (single,) = unit.problems
    launch = start(page, site, course, "tiny", unit.id)
    answer(page, single, correct=False)
    found = statements(site, launch, until="completed")  # every problem answered: complete, not judged
    assert verbs(found) == ["initialized", "answered", "completed"]
    answer(page, single, correct=False)
    found = statements(site, launch, until="failed")
    assert verbs(found) == ["initialized", "answered", "completed", "answered", "failed"]
    assert found[-1]["result"]["score"]["scaled"] == 0
    finish(page)
    found = statements(site, launch, until="terminated")
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_the_launch_data_mastery_score_overrides_the_course_cutoff(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    launch = start(page, site, course, "tiny", unit.id, mastery=0.3)
    answer(page, multiple, correct=True)  # 1/3 ≥ 0.3 once everything is answered
    answer(page, numeric, correct=False)
    found = statements(site, launch, until="passed")
    assert verbs(found)[-2:] == ["completed", "passed"]
    assert found[-1]["result"]["score"]["scaled"] == pytest.approx(1 / 3, abs=1e-4)
    finish(page)
    assert_cmi5_rules(statements(site, launch, until="terminated"), launch, 0.3)
    clean(page, site)


def test_an_unassessed_unit_completes_on_opening(page, lms) -> None:
    site, courses = lms
    course = courses["sample"]
    unit = next(u for u in course.units() if not u.problems)
    launch = start(page, site, course, "sample", unit.id, move_on="Completed")
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "completed", "terminated"]
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_every_au_of_the_sample_course_starts_and_ends_cleanly(browser_context, lms) -> None:
    """Each of the 32 sample AUs, launched and closed: initialized first, terminated last, nothing
    refused by Ralph or the LMS, no script error, nothing loaded from outside the package."""
    site, courses = lms
    course = courses["sample"]
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    launches = []
    for unit in course.units():
        launches.append((unit, start(page, site, course, "sample", unit.id)))
        page.goto("about:blank")  # pagehide ends the session
    page.close()
    for unit, launch in launches:
        found = statements(site, launch, until="terminated")
        middle = [] if unit.problems else ["completed"]
        assert verbs(found) == ["initialized", *middle, "terminated"], unit.id
        assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    assert errors == []
    assert site.rejected == []


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_browse_and_review_send_only_initialized_and_terminated(page, lms, mode: str) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    launch = start(page, site, course, "tiny", unit.id, mode=mode)
    for p in unit.problems:
        answer(page, p, correct=True)
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "terminated"]
    assert site.saved(launch, "coursepack.state") is None  # nothing saved outside Normal mode
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    clean(page, site)


def test_a_second_session_restores_answers_and_repeats_no_completed_or_passed(browser_context, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    first = browser_context.new_page()
    launch = start(first, site, course, "tiny", unit.id)
    for p in unit.problems:
        answer(first, p, correct=True)
    statements(site, launch, until="passed")
    first.goto("about:blank")  # pagehide ends the session: terminated must still arrive (keepalive)
    found = statements(site, launch, until="terminated")
    assert verbs(found)[-3:] == ["completed", "passed", "terminated"]
    first.close()
    second = browser_context.new_page()
    again = start(second, site, course, "tiny", unit.id, registration=launch.registration)
    for p in unit.problems:  # the answers are back, and final (right answers lock the problem)
        assert second.locator(f"#p-{p.id} .cp-submit").is_disabled()
    second.evaluate("window.coursepack.finish()")
    found = statements(site, again, until="terminated")
    assert verbs(found) == ["initialized", "terminated"]
    assert_cmi5_rules(found, again, course.grading.pass_cutoff)
    second.close()


def test_statements_a_failing_lrs_refused_are_sent_again_at_the_next_checkpoint(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-report")
    site.fail_statements = 1  # the initialized statement's POST gets a 503
    launch = start(page, site, course, "tiny", unit.id)
    page.wait_for_function("window.coursepack.errors().length > 0")
    assert statements(site, launch) == []
    text, dropdown = unit.problems
    answer(page, text, correct=True)
    found = statements(site, launch, until="answered")
    assert verbs(found) == ["initialized", "answered"]  # kept in order, initialized still first
    answer(page, dropdown, correct=True)
    finish(page)
    found = statements(site, launch, until="terminated")
    assert verbs(found) == ["initialized", "answered", "answered", "completed", "passed", "terminated"]
    assert_cmi5_rules(found, launch, course.grading.pass_cutoff)
    assert page.evaluate("window.coursepack.errors()") == [
        {"call": "POST statements", "element": "initialized", "code": "503"}
    ]
    assert site.rejected == []


def test_failed_in_one_session_passed_in_the_next_without_a_second_completed(browser_context, lms) -> None:
    """§9.3: completed once per registration; passed may follow failed (never the reverse)."""
    site, courses = lms
    course = courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    first = browser_context.new_page()
    launch = start(first, site, course, "tiny", unit.id)
    answer(first, multiple, correct=True)
    answer(first, numeric, correct=False)
    first.goto("about:blank")
    assert verbs(statements(site, launch, until="terminated"))[-3:] == ["completed", "failed", "terminated"]
    first.close()
    second = browser_context.new_page()
    again = start(second, site, course, "tiny", unit.id, registration=launch.registration)
    answer(second, numeric, correct=True)
    second.goto("about:blank")
    found = statements(site, again, until="terminated")
    assert verbs(found) == ["initialized", "answered", "passed", "terminated"]
    assert found[2]["result"]["score"]["scaled"] == 1.0
    assert_cmi5_rules(found, again, course.grading.pass_cutoff)
    second.close()
    assert site.rejected == []


def test_learner_preference_audio_off_mutes_the_videos(page, lms) -> None:
    site, courses = lms
    course = courses["tiny"]
    start(
        page,
        site,
        course,
        "tiny",
        "u-intro",
        preferences={"audioPreference": "off", "languagePreference": "en"},
    )
    muted = page.evaluate("Array.from(document.querySelectorAll('video')).map(v => v.muted)")
    assert muted and all(muted)


def test_without_launch_parameters_the_page_runs_standalone(page, lms) -> None:
    site, courses = lms
    before = len(site.fetch_calls)
    page.goto(f"{site.base}/tiny/sco/u-practice.html")
    page.wait_for_function("window.coursepack && window.coursepack.adapter() === 'standalone'")
    assert page.locator("#cp-standalone").is_visible()
    unit = unit_named(courses["tiny"], "u-practice")
    answer(page, unit.problems[0], correct=True)  # still a working quiz
    assert len(site.fetch_calls) == before
    clean(page, site)
