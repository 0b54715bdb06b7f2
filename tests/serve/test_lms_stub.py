"""The preview's SCORM API stub (builder/serve/static/lms.js) is strict like an LMS: each case is a
call sequence and the error code the specification gives for its last call (run in Chromium)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from builder.serve.app import SHELL_FILES

pytestmark = pytest.mark.browser

I04 = ["Initialize", ""]
I12 = ["LMSInitialize", ""]


@pytest.fixture(scope="module")
def stub(browser) -> Iterator[object]:
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!DOCTYPE html><title>stub</title>")
    page.add_script_tag(content=SHELL_FILES["lms.js"].read_text(encoding="utf-8"))
    try:
        yield page
    finally:
        context.close()


RUN = """([version, calls]) => {
  const api = window.cpLms.makeApi(window.cpLms.newRecord(version));
  const err = version === "2004" ? "GetLastError" : "LMSGetLastError";
  return calls.map(([name, ...args]) => [String(api[name](...args)), String(api[err]())]);
}"""

CASES_2004 = [
    ("get before Initialize", [["GetValue", "cmi.location"]], "", "122"),
    ("set before Initialize", [["SetValue", "cmi.location", "1"]], "false", "132"),
    ("Initialize twice", [I04, I04], "false", "103"),
    ("Terminate before Initialize", [["Terminate", ""]], "false", "112"),
    ("set after Terminate", [I04, ["Terminate", ""], ["SetValue", "cmi.location", "1"]], "false", "133"),
    ("Initialize after Terminate", [I04, ["Terminate", ""], I04], "false", "104"),
    ("undefined element", [I04, ["SetValue", "cmi.core.lesson_status", "passed"]], "false", "401"),
    ("read-only element", [I04, ["SetValue", "cmi.entry", "resume"]], "false", "404"),
    ("_count is read only", [I04, ["SetValue", "cmi.objectives._count", "1"]], "false", "404"),
    ("write-only element", [I04, ["GetValue", "cmi.exit"]], "", "405"),
    ("value not set yet", [I04, ["GetValue", "cmi.location"]], "", "403"),
    ("bad vocabulary", [I04, ["SetValue", "cmi.completion_status", "done"]], "false", "406"),
    ("scaled score out of range", [I04, ["SetValue", "cmi.score.scaled", "1.5"]], "false", "407"),
    ("score not a number", [I04, ["SetValue", "cmi.score.raw", "ten"]], "false", "406"),
    ("session time not ISO 8601", [I04, ["SetValue", "cmi.session_time", "00:10:00"]], "false", "406"),
    ("array index skips ahead", [I04, ["SetValue", "cmi.objectives.1.id", "o1"]], "false", "351"),
    ("objective value before its id", [I04, ["SetValue", "cmi.objectives.0.score.raw", "5"]], "false", "408"),
    (
        "response before the interaction type",
        [
            I04,
            ["SetValue", "cmi.interactions.0.id", "i"],
            ["SetValue", "cmi.interactions.0.learner_response", "c0"],
        ],
        "false",
        "408",
    ),
    (
        "choice response with a repeated id",
        [
            I04,
            ["SetValue", "cmi.interactions.0.id", "i"],
            ["SetValue", "cmi.interactions.0.type", "choice"],
            ["SetValue", "cmi.interactions.0.learner_response", "c0[,]c0"],
        ],
        "false",
        "406",
    ),
    (
        "timestamp with milliseconds",
        [
            I04,
            ["SetValue", "cmi.interactions.0.id", "i"],
            ["SetValue", "cmi.interactions.0.timestamp", "2026-01-01T10:00:00.123Z"],
        ],
        "false",
        "406",
    ),
    (
        "objective id cannot change",
        [I04, ["SetValue", "cmi.objectives.0.id", "a"], ["SetValue", "cmi.objectives.0.id", "b"]],
        "false",
        "351",
    ),
    (
        "a valid value",
        [I04, ["SetValue", "cmi.score.scaled", "0.75"], ["GetValue", "cmi.score.scaled"]],
        "0.75",
        "0",
    ),
]

CASES_12 = [
    ("get before LMSInitialize", [["LMSGetValue", "cmi.core.lesson_status"]], "", "301"),
    ("LMSInitialize twice", [I12, I12], "false", "101"),
    ("unknown element", [I12, ["LMSSetValue", "cmi.completion_status", "completed"]], "false", "201"),
    ("read-only element", [I12, ["LMSSetValue", "cmi.core.entry", "resume"]], "false", "403"),
    ("keyword", [I12, ["LMSSetValue", "cmi.interactions._count", "1"]], "false", "402"),
    (
        "write-only interaction",
        [I12, ["LMSSetValue", "cmi.interactions.0.id", "q"], ["LMSGetValue", "cmi.interactions.0.id"]],
        "",
        "404",
    ),
    (
        "status a SCO may not set",
        [I12, ["LMSSetValue", "cmi.core.lesson_status", "not attempted"]],
        "false",
        "405",
    ),
    ("score above 100", [I12, ["LMSSetValue", "cmi.core.score.raw", "101"]], "false", "405"),
    ("identifier with a space", [I12, ["LMSSetValue", "cmi.objectives.0.id", "a b"]], "false", "405"),
    ("index skips ahead", [I12, ["LMSSetValue", "cmi.interactions.2.id", "q"]], "false", "201"),
    (
        "a valid value",
        [I12, ["LMSSetValue", "cmi.core.score.raw", "80"], ["LMSGetValue", "cmi.core.score.raw"]],
        "80",
        "0",
    ),
]


@pytest.mark.parametrize(("what", "calls", "result", "code"), CASES_2004, ids=[c[0] for c in CASES_2004])
def test_scorm2004_stub(stub, what: str, calls: list, result: str, code: str) -> None:
    assert stub.evaluate(RUN, ["2004", calls])[-1] == [result, code]


@pytest.mark.parametrize(("what", "calls", "result", "code"), CASES_12, ids=[c[0] for c in CASES_12])
def test_scorm12_stub(stub, what: str, calls: list, result: str, code: str) -> None:
    assert stub.evaluate(RUN, ["1.2", calls])[-1] == [result, code]


def test_a_suspended_session_resumes_and_any_other_exit_starts_a_new_attempt(stub) -> None:
    entries = stub.evaluate("""() => {
      const L = window.cpLms, out = [];
      for (const exit of ["suspend", "normal"]) {
        L.reset();
        let r = L.open("2004", "u1");
        window.API_1484_11.Initialize("");
        window.API_1484_11.SetValue("cmi.location", "3");
        window.API_1484_11.SetValue("cmi.exit", exit);
        window.API_1484_11.Terminate("");
        L.open("2004", "u1");
        window.API_1484_11.Initialize("");
        out.push([window.API_1484_11.GetValue("cmi.entry"), window.API_1484_11.GetValue("cmi.location")]);
      }
      return out;
    }""")
    assert entries == [["resume", "3"], ["ab-initio", ""]]
