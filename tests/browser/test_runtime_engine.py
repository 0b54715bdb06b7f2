"""The quiz engine drives any adapter through the documented interface (as cmi5/preview will).

A probe adapter, assembled with the engine exactly like the shipped ones, records every call the
engine makes; the SCO page runs with it and no LMS at all.
"""

from __future__ import annotations

import shutil

import pytest

from builder.targets.scorm_runtime import RUNTIME_SCRIPT, assemble, runtime_source
from tests.browser.conftest import Site
from tests.browser.test_scorm_browser import answer, unit_named

pytestmark = pytest.mark.browser

PROBE = """
adapters.push({
  name: "probe",
  connect: function (env) {
    var calls = window.probeCalls = [];
    function log(name, arg) {
      calls.push({ name: name, arg: JSON.parse(JSON.stringify(arg === undefined ? null : arg)) });
    }
    return {
      name: "probe",
      persistent: true,
      errors: [],
      restore: function () {
        log("restore", env.data.objectives.length);
        return { state: "", location: "" };
      },
      reportAnswer: function (k, a) {
        log("reportAnswer", { k: k, correct: a.correct, attempt: a.attempt });
      },
      reportProgress: function (r) { log("reportProgress", r); },
      checkpoint: function () { log("checkpoint"); },
      finish: function (ms) { log("finish", ms >= 0); }
    };
  }
});
"""


def test_the_engine_speaks_only_through_the_adapter_interface(browser_context, scorm_site: Site) -> None:
    course = scorm_site.courses["tiny"]
    unit = unit_named(course, "u-practice")
    multiple, numeric = unit.problems
    folder = scorm_site.root / "tiny-probe"
    if not folder.is_dir():
        shutil.copytree(scorm_site.root / "tiny-2004-unit", folder)
        script = assemble([("probe.js", PROBE), ("engine.js", runtime_source("engine.js"))])
        (folder / RUNTIME_SCRIPT).write_bytes(script)
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{scorm_site.base}/tiny-probe/sco/{unit.id}.html")
    page.wait_for_function("window.probeCalls && window.probeCalls.length > 0")
    assert page.locator("#cp-standalone").is_hidden()  # a persistent adapter: no "not saved" notice
    answer(page, multiple, correct=False)
    answer(page, numeric, correct=True)
    page.evaluate("window.coursepack.finish()")
    page.evaluate("window.coursepack.finish()")  # once only
    calls = page.evaluate("window.probeCalls")
    page.close()
    assert errors == []

    names = [c["name"] for c in calls]
    assert names == [
        "restore", "reportProgress", "checkpoint",  # start: one durable picture
        "reportAnswer", "reportProgress", "checkpoint",  # each graded answer
        "reportAnswer", "reportProgress", "checkpoint",  # the last answer also completes the SCO
        "reportProgress", "finish",
    ]  # fmt: skip
    answers = [c["arg"] for c in calls if c["name"] == "reportAnswer"]
    assert answers == [{"k": 0, "correct": False, "attempt": 1}, {"k": 1, "correct": True, "attempt": 1}]
    reports = [c["arg"] for c in calls if c["name"] == "reportProgress"]
    assert [r["completed"] for r in reports] == [False, False, True, True]
    assert [r["verdict"] for r in reports[:2]] == [None, None]  # nothing to judge before the end
    weights = {p.id: p.weight for p in unit.problems}
    ratio = round(weights[numeric.id] / sum(weights.values()), 4)  # the precision reported
    assert reports[2]["verdict"]["ratio"] == pytest.approx(ratio)
    assert reports[2]["verdict"]["passed"] is (ratio >= course.grading.pass_cutoff)
    assert reports[-1]["location"] is None  # a unit SCO has no location
    assert [o["id"] for o in reports[-1]["objectives"]] == [o["id"] for o in reports[0]["objectives"]]
    assert calls[-1]["arg"] is True
