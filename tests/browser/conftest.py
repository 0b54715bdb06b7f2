"""Fixtures for the SCORM browser tests: packages built once, served from 127.0.0.1, a player page.

The player (``player.html``) is the LMS: it creates scorm-again's ``Scorm12API``/``Scorm2004API``
in its own window and loads a SCO in an iframe, so the SCO's real API discovery is exercised.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from builder.archive import extract_to
from builder.model import Course
from builder.targets import BuildOptions, scorm12, scorm2004
from tests.conftest import SAMPLE_SRC
from tests.factories import make_course

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
SCORM_AGAIN = NODE_MODULES / "scorm-again" / "dist" / "scorm-again.js"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output free of one access-log line per request."""


@dataclass
class Site:
    base: str
    root: Path
    courses: dict[str, Course] = field(default_factory=dict)

    def url(self, course: str, version: str, sco: str, name: str) -> str:
        return f"/{course}-{version}-{sco}/sco/{name}.html"


def _load_sample() -> Course:
    """The sample course must load: if it breaks, the browser suite fails rather than shrinking."""
    from builder.source import load_course

    return load_course(SAMPLE_SRC)


@pytest.fixture(scope="session")
def scorm_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Build 1.2 and 2004 packages (unit and course SCOs) of the test and sample courses, serve them."""
    if not SCORM_AGAIN.is_file():
        pytest.skip("scorm-again is not installed: run `npm ci --prefix tests/browser`")
    root = tmp_path_factory.mktemp("scorm-www")
    shutil.copy(HERE / "player.html", root / "player.html")
    os.symlink(NODE_MODULES, root / "node_modules")
    courses = {"tiny": make_course(tmp_path_factory.mktemp("tiny-src"))}
    courses["sample"] = _load_sample()
    for key, course in courses.items():
        for version, module in (("1.2", scorm12), ("2004", scorm2004)):
            for sco in ("unit", "course"):
                (out,) = module.render(course, BuildOptions(sco=sco))
                extract_to(out.members, root / f"{key}-{version}-{sco}")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_port}", root, courses)
    finally:
        server.shutdown()
        server.server_close()


# The data types of every time element a SCO may write, as the specifications define them.
# SCORM 1.2 RTE §3.4.2: CMITime "HH:MM:SS.SS" (24-hour clock, optional 1-2 fractional digits) and
# CMITimespan "HHHH:MM:SS.SS" (2-4 hour digits). SCORM 2004 RTE §4.1.1.7: time(second,10,0), an
# ISO 8601 date-time with at most 2 fractional digits of seconds (0.01 s; a time zone only
# after them), and
# timeinterval(second,10,2), an ISO 8601 duration whose seconds have at most 2 fractional digits.
CMI_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?")
CMI_TIMESPAN = re.compile(r"\d{2,4}:[0-5]\d:[0-5]\d(\.\d{1,2})?")
ISO_TIME = re.compile(  # YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years 1970-2038 (as Moodle checks)
    r"(19[7-9]\d|20[0-2]\d|203[0-8])(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d{1,2}(Z|[+-]([01]\d|2[0-3])(:[0-5]\d)?)?)?)?)?)?)?)?"
)
ISO_INTERVAL = re.compile(r"P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?")
TIME_ELEMENTS = {
    "1.2": [
        (re.compile(r"cmi\.core\.session_time"), CMI_TIMESPAN),
        (re.compile(r"cmi\.interactions\.\d+\.time"), CMI_TIME),
        (re.compile(r"cmi\.interactions\.\d+\.latency"), CMI_TIMESPAN),
    ],
    "2004": [
        (re.compile(r"cmi\.session_time"), ISO_INTERVAL),
        (re.compile(r"cmi\.interactions\.\d+\.timestamp"), ISO_TIME),
        (re.compile(r"cmi\.interactions\.\d+\.latency"), ISO_INTERVAL),
        (re.compile(r"cmi\.comments_from_learner\.\d+\.timestamp"), ISO_TIME),
    ],
}


def time_values(log: list[dict], version: str) -> list[tuple[str, str, bool]]:
    """(element, value, valid) for every time or time-interval value the SCO set."""
    setter = "LMSSetValue" if version == "1.2" else "SetValue"
    out = []
    for e in log:
        if e["call"] != setter:
            continue
        element, value = e["args"][0], str(e["args"][1])
        for name, rule in TIME_ELEMENTS[version]:
            if name.fullmatch(element):
                out.append((element, value, bool(rule.fullmatch(value))))
    return out


def bad_time_values(log: list[dict], version: str) -> list[tuple[str, str]]:
    """Values a strict LMS (Moodle 4.5 for 2004 timestamps) rejects with error 406."""
    return [(el, v) for el, v, ok in time_values(log, version) if not ok]


# Moodle 4.5's CMIDecimal (mod/scorm/datamodels/scorm_12.js, scorm_13.js): stricter than the
# specs' real(10,7): at most 3 integer digits in 1.2 and 5 in 2004; the LMS answers 405/406.
MOODLE_DECIMAL = {"1.2": re.compile(r"-?\d{0,3}(\.\d*)?"), "2004": re.compile(r"-?\d{1,5}(\.\d{1,18})?")}
DECIMAL_ELEMENTS = re.compile(
    r"cmi\.(core\.)?score\.(raw|min|max|scaled)|cmi\.objectives\.\d+\.score\.(raw|min|max|scaled)"
    r"|cmi\.interactions\.\d+\.weighting"
)
NUMERIC_RESPONSE = re.compile(r"cmi\.interactions\.(\d+)\.(learner_response|correct_responses\.\d+\.pattern)")


def bad_decimal_values(log: list[dict], version: str) -> list[tuple[str, str]]:
    """Decimals Moodle rejects: scores, weightings and (2004) numeric responses and ranges."""
    setter = "LMSSetValue" if version == "1.2" else "SetValue"
    rule = MOODLE_DECIMAL[version]
    numeric: set[str] = set()
    bad = []
    for e in log:
        if e["call"] != setter:
            continue
        element, value = e["args"][0], str(e["args"][1])
        if re.fullmatch(r"cmi\.interactions\.(\d+)\.type", element) and value == "numeric":
            numeric.add(element.split(".")[2])
        parts = [value]
        if version == "2004" and (m := NUMERIC_RESPONSE.fullmatch(element)) and m.group(1) in numeric:
            parts = [x for x in value.split("[:]") if x]
        elif not DECIMAL_ELEMENTS.fullmatch(element):
            continue
        if not all(rule.fullmatch(x) for x in parts):
            bad.append((element, value))
    return bad


ERROR_CALLS = frozenset(
    [
        "LMSGetLastError",
        "LMSGetErrorString",
        "LMSGetDiagnostic",
        "GetLastError",
        "GetErrorString",
        "GetDiagnostic",
    ]
)


class Player:
    """One page of the player; collects console errors of the page and of the SCO frame."""

    def __init__(self, page, site: Site):
        self.page = page
        self.site = site
        self.console_errors: list[str] = []
        self.outside_requests: list[str] = []
        """Requests that left the package's server: a SCO must work offline, with no CDN."""
        page.on("request", lambda r: r.url.startswith(site.base) or self.outside_requests.append(r.url))
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))
        page.goto(f"{site.base}/player.html")

    def launch(self, version: str, url: str, seed: dict[str, str] | None = None) -> None:
        self.version = version
        self.page.evaluate("([v, u, s]) => harness.start(v, u, s)", [version, url, seed])
        commit = "LMSCommit" if version == "1.2" else "Commit"
        self.page.wait_for_function(f"harness.calls('{commit}') > 0")

    @property
    def frame(self):
        return self.page.frame_locator("#sco")

    def end(self) -> None:
        finish = "LMSFinish" if self.version == "1.2" else "Terminate"
        self.page.evaluate("harness.end()")
        self.page.wait_for_function(f"harness.calls('{finish}') > 0")

    def cmi(self) -> dict[str, str]:
        return self.page.evaluate("harness.cmi()")

    def log(self) -> list[dict]:
        return self.page.evaluate("harness.log")

    def bad_time_values(self) -> list[tuple[str, str]]:
        return bad_time_values(self.log(), self.version)

    def bad_decimal_values(self) -> list[tuple[str, str]]:
        return bad_decimal_values(self.log(), self.version)

    def api_errors(self) -> list[dict]:
        """Calls that scorm-again rejected; GetValue of a not-yet-set element (403) is normal."""
        return [
            e
            for e in self.log()
            if e["code"] not in ("0", "")
            and e["call"] not in ERROR_CALLS  # asking about an error is not one
            and not (e["call"] in ("GetValue", "LMSGetValue") and e["code"] == "403")
        ]


@pytest.fixture(scope="module")
def browser_context(browser) -> Iterator[object]:
    context = browser.new_context()
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def player(browser_context, scorm_site: Site) -> Iterator[Player]:
    page = browser_context.new_page()
    try:
        yield Player(page, scorm_site)
    finally:
        page.close()
