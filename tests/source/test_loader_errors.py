"""Malformed sources: each must give a precise file:line message that says how to fix it.

Every case starts from the scaffold course (which loads cleanly), breaks one thing, and asserts
the diagnostic's file, line and wording. Lines are looked up in the mutated text rather than
hard-coded, so the tests follow the fixture if it changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic
from builder.source import load_course
from tests.source.scaffold_edits import SECTION, SUBSECTION, UNIT, edit, errors, line_of


def find(diags: list[Diagnostic], file: str, text: str) -> Diagnostic:
    for d in diags:
        if d.file == file and text in d.message:
            return d
    raise AssertionError(f"no diagnostic in {file} containing {text!r}; got:\n" + "\n".join(map(str, diags)))


def test_scaffold_loads_cleanly(src: Path) -> None:
    course = load_course(src)
    assert course.slug == "MyOrg-C101-2026_T1"
    assert [u.id for u in course.units()] == ["u-welcome"]


Case = tuple[str, Callable[[Path], None], str, str | None, str, str]
"""(name, mutate, file, line needle (None: no line), message part, hint part)."""

CASES: list[Case] = [
    (
        "unknown key",
        lambda r: edit(r, "course.yaml", "title:", "titel:"),
        "course.yaml",
        "titel:",
        "unknown key `titel`",
        "did you mean `title`?",
    ),
    (
        "unknown nested key",
        lambda r: edit(r, "course.yaml", "short_label: Q", "shortlabel: Q"),
        "course.yaml",
        "shortlabel",
        "unknown key `grading.graders[0].shortlabel`",
        "did you mean `short_label`?",
    ),
    (
        "missing key",
        lambda r: edit(r, SECTION, "title: Getting started\n", ""),
        SECTION,
        "id:",
        "missing required key `title`",
        "add `title:",
    ),
    (
        "yaml syntax",
        lambda r: edit(r, SUBSECTION, "title: First steps", "title: [First steps"),
        SUBSECTION,
        "format:",
        "invalid YAML",
        "indentation",
    ),
    (
        "bad literal",
        lambda r: edit(r, "course.yaml", "pacing: instructor", "pacing: selfpaced"),
        "course.yaml",
        "pacing:",
        "'selfpaced' is not allowed",
        "'self'",
    ),
    (
        "unknown outcome in unit",
        lambda r: edit(r, UNIT, "outcomes: [MY.U1.K1, MY.U1.S1]", "outcomes: [MY.U1.K2]"),
        UNIT,
        "outcomes:",
        "outcome `MY.U1.K2` is not an outcome",
        "did you mean `MY.U1.K1`?",
    ),
    (
        "unknown assessed outcome",
        lambda r: edit(r, UNIT, "assesses: [MY.U1.K1, MY.U1.S1]", "assesses: [MY.U1.S9]"),
        UNIT,
        "```problem",
        "assessed outcome `MY.U1.S9`",
        "did you mean `MY.U1.S1`?",
    ),
    (
        "two correct choices",
        lambda r: edit(r, UNIT, "feedback: Units are grouped", "correct: true\n    feedback: Units"),
        UNIT,
        "id: p-outline-levels",
        "exactly one choice with `correct: true`, found 2",
        "",
    ),
    (
        "numeric without answer",
        lambda r: edit(r, UNIT, "type: single", "type: numeric"),
        UNIT,
        "id: p-outline-levels",
        "takes no `choices`",
        "",
    ),
    (
        "grader weights",
        lambda r: edit(r, "course.yaml", "weight: 1.0", "weight: 0.8"),
        "course.yaml",
        "grading:",
        "weights sum to 0.8",
        "add up to 1",
    ),
    (
        "unknown grader type",
        lambda r: edit(r, SUBSECTION, "format: Quiz", "format: Quizz"),
        SUBSECTION,
        "format:",
        "format `Quizz` is not a grader type",
        "did you mean `Quiz`?",
    ),
    (
        "missing course image",
        lambda r: edit(r, "course.yaml", "course-image.png", "cover.png"),
        "course.yaml",
        "image:",
        "course image `static/images/cover.png` does not exist",
        "did you mean",
    ),
    (
        "broken static link",
        lambda r: edit(r, UNIT, "A course is an", "![Diagram](/static/images/outline.png) A course is an"),
        UNIT,
        "![Diagram]",
        "does not resolve to a file in static/",
        "",
    ),
    (
        "link escaping the tree",
        lambda r: edit(r, UNIT, "A course is an", "[secret](../../../../../etc/passwd) A course is an"),
        UNIT,
        "[secret]",
        "points outside the course source",
        "",
    ),
    (
        "absolute path in yaml",
        lambda r: edit(r, "course.yaml", "overview: overview.md", "overview: /etc/passwd"),
        "course.yaml",
        "overview:",
        "must be a relative path inside the course source",
        "",
    ),
    (
        "dotdot path in yaml",
        lambda r: edit(r, "course.yaml", "overview: overview.md", "overview: ../outside.md"),
        "course.yaml",
        "overview:",
        "points outside the course source",
        "",
    ),
    (
        "date without zone",
        lambda r: edit(r, "course.yaml", "start: 2026-01-05T09:00:00Z", "start: 2026-01-05T09:00:00"),
        "course.yaml",
        "start:",
        "needs a UTC time zone",
        "",
    ),
    (
        "due without format",
        lambda r: edit(r, SUBSECTION, "format: Quiz\n", ""),
        SUBSECTION,
        "id:",
        "due date only makes sense on a graded subsection",
        "",
    ),
    (
        "duplicate yaml key",
        lambda r: edit(r, SECTION, "title: Getting started", "title: Getting started\ntitle: Again"),
        SECTION,
        "title: Again",
        "key `title` appears twice",
        "keep one",
    ),
    (
        "bad id characters",
        lambda r: edit(r, SECTION, "id: s-getting-started", "id: s getting/started"),
        SECTION,
        "id:",
        "has characters that are not allowed",
        "letters, digits",
    ),
    (
        "duplicate outcome id",
        lambda r: edit(r, "competences.yaml", "id: MY.U1.S1", "id: MY.U1.K1"),
        "competences.yaml",
        "id: MY.U1.K1\n",
        "id `MY.U1.K1` is already used",
        "unique",
    ),
    (
        "video without source",
        lambda r: edit(r, UNIT, "```problem", "```video\nid: v-x\ntitle: Intro\n```\n\n```problem"),
        UNIT,
        "id: v-x",
        "a video needs `youtube: <id>` or `mp4:",
        "",
    ),
    (
        "tabs in yaml",
        lambda r: edit(r, SECTION, "title: Getting started", "title:\n\t- Getting started"),
        SECTION,
        "\t-",
        "invalid YAML",
        "tabs",
    ),
    (
        "no front matter",
        lambda r: edit(r, UNIT, "---\nid: u-welcome", "id: u-welcome"),
        UNIT,
        None,
        "front matter",
        "begin the file with ---",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_source_is_reported_with_position(src: Path, case: Case) -> None:
    _name, mutate, file, needle, message, hint = case
    mutate(src)
    expected_line = line_of(src, file, needle.rstrip("\n")) if needle else 1
    diag = find(errors(src), file, message)
    assert diag.severity == "error"
    if needle == "id: MY.U1.K1\n":  # the duplicate is the second occurrence
        lines = [
            i
            for i, ln in enumerate((src / file).read_text().split("\n"), 1)
            if ln.strip() == "- id: MY.U1.K1"
        ]
        expected_line = lines[1]
    assert diag.line == expected_line, str(diag)
    assert hint in diag.hint, str(diag)
    assert str(diag).startswith(f"{file}:{expected_line}")


def test_every_error_is_collected_not_just_the_first(src: Path) -> None:
    edit(src, "course.yaml", "title:", "titel:")
    edit(src, SECTION, "title: Getting started\n", "")
    edit(src, UNIT, "assesses: [MY.U1.K1, MY.U1.S1]", "assesses: [MY.U1.S9]")
    diags = errors(src)
    assert {d.file for d in diags} >= {"course.yaml", SECTION, UNIT}


def test_unit_without_order_prefix(src: Path) -> None:
    folder = src / "outline/01-getting-started/01-first-steps"
    (folder / "01-welcome.md").rename(folder / "welcome.md")
    diag = find(
        errors(src), "outline/01-getting-started/01-first-steps/welcome.md", "no numeric order prefix"
    )
    assert "01-welcome.md" in diag.hint


def test_symlink_in_static_is_refused(src: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("not course content")
    os.symlink(secret, src / "static" / "leak.txt")
    find(errors(src), "static/leak.txt", "symbolic links are not allowed")


def test_asset_names_that_collide_after_flattening(src: Path) -> None:
    (src / "static" / "images_course-image.png").write_bytes(b"x")
    diag = find(errors(src), "static/images_course-image.png", "publishes as `images_course-image.png`")
    assert "rename" in diag.hint


def test_raw_html_is_escaped_not_passed_through(src: Path) -> None:
    edit(src, UNIT, "A course is an", '<script>alert("x")</script> A course is an')
    html = load_course(src).units()[0].components[0].html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_relative_and_root_links_resolve_to_flat_static_names(src: Path) -> None:
    edit(
        src,
        UNIT,
        "A course is an",
        "![Cover](../../../static/images/course-image.png) "
        "[c](/static/images/course-image.png#top) A course is an",
    )
    html = load_course(src).units()[0].components[0].html
    assert 'src="/static/images_course-image.png"' in html
    assert 'href="/static/images_course-image.png#top"' in html
