"""Hostile or broken input the reader must refuse at its root, with file:line and what to do.

Each test reproduces one fault seen in the wild (issue 7 "Trust"): a misspelt component fence
shipped as code (answers included), YAML alias bombs, characters XML cannot carry, NaN answers,
``javascript:`` URIs, oversized files. Every case starts from the scaffold course and breaks one
thing; the assertion is on the finding the author sees.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic, SourceErrors
from builder.source import load_course
from builder.source.text import MAX_SOURCE_BYTES
from tests.source.scaffold_edits import COMPETENCES, UNIT, edit, errors, line_of


def find(diags: list[Diagnostic], file: str, code: str) -> Diagnostic:
    for d in diags:
        if d.file == file and d.code == code:
            return d
    raise AssertionError(f"no `{code}` finding in {file}; got:\n" + "\n".join(map(str, diags)))


# --------------------------------------------------------------------------- near-miss fences


@pytest.mark.parametrize("word", ["Problem", "PROBLEM", "problme", "problems", "vidoe", "Video", "{problem}"])
def test_misspelt_component_fence_is_refused_not_shown_as_code(src: Path, word: str) -> None:
    edit(src, UNIT, "```problem\n", f"```{word}\n")
    d = find(errors(src), UNIT, "unknown-component")
    assert d.line == line_of(src, UNIT, f"```{word}")
    assert "did you mean `" in d.hint
    assert ("`video`" if "vid" in word.lower() else "`problem`") in d.hint


@pytest.mark.parametrize("word", ["yaml", "python", "prolog", "text", "js", ""])
def test_ordinary_code_fences_stay_code(src: Path, word: str) -> None:
    edit(src, UNIT, "## How this course is built", f"```{word}\nkey: value\n```\n\n## How")
    course = load_course(src)
    html = "".join(c.html for c in course.units()[0].components if c.kind == "html")
    assert "<code" in html and "key: value" in html


def test_component_fence_inside_a_list_is_refused(src: Path) -> None:
    body = (
        "- a list item\n\n  ```problem\n  id: p-nested\n  type: text\n  prompt: Q?\n  answers: [a]\n  ```\n"
    )
    edit(src, UNIT, "## How this course is built", body + "\n## How")
    d = find(errors(src), UNIT, "nested-component")
    assert d.line == line_of(src, UNIT, "  ```problem")


# --------------------------------------------------------------------------- YAML aliases and size

BILLION_LAUGHS = "\n".join(
    ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
)


def test_alias_bomb_under_an_unknown_key_is_refused_quickly(src: Path) -> None:
    path = src / "course.yaml"
    path.write_text(path.read_text() + "bomb:\n" + "\n".join("  " + ln for ln in BILLION_LAUGHS.split("\n")))
    start = time.monotonic()
    d = find(errors(src), "course.yaml", "yaml-alias")
    assert time.monotonic() - start < 5
    assert d.line == line_of(src, "course.yaml", "a1: &a1")


def test_self_referencing_alias_is_a_finding_not_a_recursion_error(src: Path) -> None:
    edit(src, UNIT, "outcomes: [MY.U1.K1, MY.U1.S1]", "outcomes: &x [*x]")
    d = find(errors(src), UNIT, "yaml-alias")
    assert d.line == line_of(src, UNIT, "outcomes: &x")


def test_alias_in_a_problem_block_is_refused(src: Path) -> None:
    edit(src, UNIT, "hints:\n  - Look", "extra: &h [Look]\nhints: *h\nold:\n  - Look")
    d = find(errors(src), UNIT, "yaml-alias")
    assert d.line == line_of(src, UNIT, "hints: *h")


def test_deep_nesting_is_refused(src: Path) -> None:
    edit(src, COMPETENCES, "profile: Course graduate", "profile: " + "[" * 200 + "]" * 200)
    diags = errors(src)
    assert any(d.file == COMPETENCES and d.code in ("yaml-depth", "yaml-syntax") for d in diags)


def test_oversized_source_file_is_refused(src: Path) -> None:
    path = src / UNIT
    path.write_text(path.read_text() + "\n" + ("x" * 99 + "\n") * (MAX_SOURCE_BYTES // 100 + 1))
    d = find(errors(src), UNIT, "too-large")
    assert "MB" in d.message


# --------------------------------------------------------------------------- characters XML cannot carry


@pytest.mark.parametrize("char", ["\x00", "\x0b", "\x1f", "\x0c", "\ufffe", "\uffff"])
def test_control_character_in_a_title_is_refused_with_line_and_column(src: Path, char: str) -> None:
    edit(src, UNIT, "title: Welcome", f"title: Wel{char}come")
    d = find(errors(src), UNIT, "bad-char")
    assert (d.line, d.column) == (line_of(src, UNIT, "title: Wel"), len("title: Wel") + 1)
    assert f"U+{ord(char):04X}" in d.message


def test_control_character_in_a_body_is_refused(src: Path) -> None:
    edit(src, UNIT, "A course is an", "A course\x1b is an")
    d = find(errors(src), UNIT, "bad-char")
    assert d.line == line_of(src, UNIT, "A course\x1b")


@pytest.mark.parametrize("escape", ["\\x00", "\\x0b", "\\uFFFE", "\\uD800", "\\e"])
def test_control_character_written_as_a_yaml_escape_is_refused(src: Path, escape: str) -> None:
    edit(src, UNIT, "prompt: How many levels", f'prompt: "How {escape} many levels')
    edit(src, UNIT, "have?\n", 'have?"\n')
    # libyaml itself refuses a lone surrogate; every other escape is ours to refuse
    d = next((d for d in errors(src) if d.file == UNIT and d.code in ("bad-char", "yaml-syntax")), None)
    assert d is not None and d.line == line_of(src, UNIT, "prompt: ")


def test_tabs_newlines_and_carriage_returns_are_fine(src: Path) -> None:
    path = src / UNIT
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n").replace(b"A course is", b"A\tcourse is"))
    load_course(src)


def test_character_reference_to_a_control_character_never_reaches_the_html(src: Path) -> None:
    edit(src, UNIT, "A course is an", "A course &#12; &#1; is an")
    html = "".join(c.html for c in load_course(src).units()[0].components if c.kind == "html")
    assert "\x0c" not in html and "\x01" not in html


# --------------------------------------------------------------------------- non-finite numbers

NUMERIC = "```problem\nid: p-num\ntype: numeric\nprompt: How much?\nanswer: {answer}\n{extra}```\n"


@pytest.mark.parametrize("answer", [".nan", ".NaN", ".inf", "-.inf", '"nan"', '"inf"'])
def test_non_finite_numeric_answer_is_refused(src: Path, answer: str) -> None:
    block = NUMERIC.format(answer=answer, extra="")
    edit(src, UNIT, "## How this course is built", block + "\n## How")
    d = find(errors(src), UNIT, "invalid.finite_number")
    assert d.line == line_of(src, UNIT, f"answer: {answer}")


@pytest.mark.parametrize(
    ("rel", "old", "new"),
    [
        (UNIT, "max_attempts: 2", "max_attempts: 2\nweight: .inf"),
        (COMPETENCES, "hours: 25", "hours: .inf"),
        (COMPETENCES, "ecvet_points: 1", "ecvet_points: .inf"),
        ("course.yaml", "pass_cutoff: 0.5", "pass_cutoff: .nan"),
    ],
)
def test_non_finite_numbers_are_refused_everywhere(src: Path, rel: str, old: str, new: str) -> None:
    edit(src, rel, old, new)
    key = new.rsplit("\n", 1)[-1].split(":")[0]
    d = next((d for d in errors(src) if d.file == rel and key in d.message), None)
    assert d is not None and d.line == line_of(src, rel, new.rsplit("\n", 1)[-1])


# --------------------------------------------------------------------------- URI schemes


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)//http://data.europa.eu/esco/skill/x",
        "ftp://data.europa.eu/esco/skill/x",
        "https://evil.example.org/esco/skill/x",
        'http://data.europa.eu/esco/skill/x"><script>',
    ],
)
def test_esco_accepts_only_esco_http_uris(src: Path, uri: str) -> None:
    edit(
        src,
        COMPETENCES,
        "        assessment_criteria: [Names",
        f"        esco: ['{uri}']\n        assessment_criteria: [Names",
    )
    d = find(errors(src), COMPETENCES, "invalid.value_error")
    assert d.line == line_of(src, COMPETENCES, "esco: [")
    assert "ESCO" in d.message


def test_esco_http_uri_is_accepted(src: Path) -> None:
    uri = "http://data.europa.eu/esco/skill/d56e2c2f-3e01-4b76-a7bb-ecb6d430172f"
    edit(
        src,
        COMPETENCES,
        "        assessment_criteria: [Names",
        f"        esco: ['{uri}']\n        assessment_criteria: [Names",
    )
    assert load_course(src).competences.outcomes()[0].esco == [uri]


@pytest.mark.parametrize(
    "uri", ["javascript:alert(1)", "ftp://example.org/map", "data:text/html,x", "//example.org"]
)
def test_base_uri_accepts_only_http_uris(src: Path, uri: str) -> None:
    edit(src, COMPETENCES, "base_uri: https://example.org/competences/my-framework", f"base_uri: '{uri}'")
    d = find(errors(src), COMPETENCES, "invalid.value_error")
    assert d.line == line_of(src, COMPETENCES, "base_uri:")


@pytest.mark.parametrize(
    "url", ['https://x.org/a.mp4"onerror="alert(1)', "http://x.org/a.mp4", "javascript:x"]
)
def test_video_mp4_accepts_only_plain_https_urls(src: Path, url: str) -> None:
    block = f"```video\nid: v1\ntitle: V\nmp4: '{url}'\n```\n"
    edit(src, UNIT, "## How this course is built", block + "\n## How")
    d = find(errors(src), UNIT, "bad-value")
    assert d.line == line_of(src, UNIT, "mp4:")


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "<javascript:alert(1)>",
        "[x](vbscript:x)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        "[x](data:text/html,hi)",
        "[x](//evil.example.org/)",
        "[x](file:///etc/passwd)",
    ],
)
def test_markdown_links_never_become_script_hrefs(src: Path, link: str) -> None:
    edit(src, UNIT, "A course is an", f"{link} A course is an")
    try:
        course = load_course(src)
    except SourceErrors as exc:  # refused is fine: the link is named at its line
        assert any(d.file == UNIT and d.code in ("bad-link", "unsafe-path") for d in exc.diagnostics)
        return
    html = "".join(c.html for c in course.units()[0].components if c.kind == "html")
    for url in re.findall(r'(?:href|src)="([^"]*)"', html):
        assert url.startswith(("https://", "http://", "mailto:", "/static/", "#")), url


@pytest.mark.parametrize(("old", "key"), [("pacing: instructor", "pacing"), ("org: MyOrg", "org")])
def test_a_huge_wrong_value_is_shortened_in_the_message(src: Path, old: str, key: str) -> None:
    edit(src, "course.yaml", old, f"{key}: '{'y' * 100_000}%'")
    d = next(d for d in errors(src) if d.file == "course.yaml" and key in d.message)
    assert len(str(d)) < 400


def test_deep_nesting_without_libyaml_is_a_finding(src: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    from builder.source import yamlpos

    monkeypatch.setattr(yamlpos, "_Loader", yaml.SafeLoader)  # the pure-Python composer recurses
    edit(src, COMPETENCES, "profile: Course graduate", "profile: " + "[" * 3000 + "]" * 3000)
    d = find(errors(src), COMPETENCES, "yaml-depth")
    assert "nested" in d.message
