"""The trainer's handbook source: ```trainer-notes blocks, session.yaml, handbook/ chapters.

Every malformed case starts from the scaffold (which has one of each and loads cleanly), breaks
one thing, and asserts the finding's file, line and wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic
from builder.model import Html
from builder.source import load_course
from builder.targets import BuildOptions
from builder.validate.handbook import check_handbook
from tests.source.scaffold_edits import edit, errors, line_of

SUB = "outline/01-getting-started/01-first-steps"
UNIT = f"{SUB}/01-welcome.md"
SESSION = f"{SUB}/session.yaml"
INDEX = "handbook/index.yaml"


def find(diags: list[Diagnostic], file: str, text: str) -> Diagnostic:
    for d in diags:
        if d.file == file and text in d.message:
            return d
    raise AssertionError(f"no finding in {file} containing {text!r}; got:\n" + "\n".join(map(str, diags)))


# --------------------------------------------------------------------------- what the reader keeps


def test_scaffold_has_a_note_a_session_plan_and_chapters(src: Path) -> None:
    course = load_course(src)
    unit = course.units()[0]
    (note,) = unit.trainer_notes
    assert "<strong>before</strong>" in note.html
    assert note.line == line_of(src, UNIT, "```trainer-notes")
    # the note is not a component, so no learner target iterating components can show it
    assert not any("sketch the outline" in c.html for c in unit.components if isinstance(c, Html))
    plan = course.sections[0].subsections[0].session_plan
    assert plan is not None and plan.mode == "classroom" and plan.duration == 45
    assert [a.minutes for a in plan.activities] == [10, 25, 10]
    assert plan.activities[1].outcomes == ["MY.U1.K1", "MY.U1.S1"]
    assert plan.source == SESSION
    assert course.handbook is not None
    assert [c.title for c in course.handbook.front] == ["How this course is taught"]
    assert [c.title for c in course.handbook.back] == ["Glossary"]
    assert "<table>" in course.handbook.back[0].html


def test_course_without_handbook_material_loads_without_it(src: Path) -> None:
    (src / SESSION).unlink()
    for f in (src / "handbook").iterdir():
        f.unlink()
    (src / "handbook").rmdir()
    course = load_course(src)
    assert course.handbook is None
    assert course.sections[0].subsections[0].session_plan is None
    assert check_handbook(course) == []


# --------------------------------------------------------------------------- session plans


def test_minutes_that_do_not_add_up_name_the_duration_line(src: Path) -> None:
    edit(src, SESSION, "duration: 45", "duration: 50")
    d = find(errors(src), SESSION, "the activities last 10 + 25 + 10 = 45 minutes, but `duration` is 50")
    assert d.line == line_of(src, SESSION, "duration: 50")
    assert "set `duration: 45`" in d.hint


def test_activity_serving_an_unknown_outcome_names_its_line(src: Path) -> None:
    edit(src, SESSION, "outcomes: [MY.U1.K1]\n", "outcomes: [MY.U1.K9]\n")
    d = find(errors(src), SESSION, "serves `MY.U1.K9`, which is not an outcome")
    assert d.line == line_of(src, SESSION, "- minutes: 10")
    assert "did you mean `MY.U1.K1`?" in d.hint


def test_unknown_delivery_mode_is_refused_at_its_line(src: Path) -> None:
    edit(src, SESSION, "mode: classroom", "mode: webinar")
    d = find(errors(src), SESSION, "mode")
    assert d.line == line_of(src, SESSION, "mode: webinar")


def test_session_plan_needs_activities(src: Path) -> None:
    text = (src / SESSION).read_text(encoding="utf-8")
    (src / SESSION).write_text(text.split("activities:")[0] + "activities: []\n", encoding="utf-8")
    find(errors(src), SESSION, "activities")


def test_session_yaml_is_not_an_unexpected_file_in_the_outline(src: Path) -> None:
    load_course(src)  # would fail with "unexpected file here" if the outline reader did not know it


# --------------------------------------------------------------------------- trainer notes


@pytest.mark.parametrize("word", ["trainer", "instructor-notes", "trainer-note", "trainer_notes"])
def test_misspelt_note_fence_is_an_error_not_a_code_block(src: Path, word: str) -> None:
    edit(src, UNIT, "```trainer-notes", f"```{word}")
    d = find(errors(src), UNIT, f"```{word} is not a component name")
    assert d.line == line_of(src, UNIT, f"```{word}")
    assert "```trainer-notes" in d.hint


def test_empty_note_is_an_error(src: Path) -> None:
    text = (src / UNIT).read_text(encoding="utf-8")
    start = text.index("```trainer-notes")
    (src / UNIT).write_text(text[:start] + "```trainer-notes\n```\n", encoding="utf-8")
    d = find(errors(src), UNIT, "empty trainer notes")
    assert d.line == line_of(src, UNIT, "```trainer-notes")


# --------------------------------------------------------------------------- handbook chapters


def test_missing_chapter_file_names_the_index_line(src: Path) -> None:
    edit(src, INDEX, "file: approach.md", "file: aproach.md")
    d = find(errors(src), INDEX, "chapter file handbook/aproach.md not found")
    assert d.line == line_of(src, INDEX, "aproach.md")
    # and the real file is now unlisted, which would silently drop it from the book
    find(errors(src), "handbook/approach.md", "not listed in handbook/index.yaml")


@pytest.mark.parametrize("name", ["../course.yaml", "sub/x.md", "/etc/passwd", "notes.txt"])
def test_chapter_paths_cannot_leave_the_handbook_folder(src: Path, name: str) -> None:
    edit(src, INDEX, "file: glossary.md", f"file: {name!r}")
    d = find(errors(src), INDEX, "file")
    assert d.line == line_of(src, INDEX, name)


def test_index_without_title_is_refused(src: Path) -> None:
    edit(src, INDEX, "    title: Glossary\n", "")
    find(errors(src), INDEX, "title")


# --------------------------------------------------------------------------- check


def test_check_warns_about_subsections_without_a_plan_and_strict_makes_it_an_error(src: Path) -> None:
    from builder.pipeline import run

    (src / "outline/01-getting-started/02-more").mkdir()
    (src / "outline/01-getting-started/02-more/subsection.yaml").write_text(
        "id: ss-more\ntitle: More\n", encoding="utf-8"
    )
    (src / "outline/01-getting-started/02-more/01-u.md").write_text(
        "---\nid: u-more\ntitle: More\noutcomes: [MY.U1.K1]\n---\n\nText.\n", encoding="utf-8"
    )
    course = load_course(src)
    plain = run(course, ["handbook"], BuildOptions(), jobs=1).diagnostics
    (w,) = [d for d in plain if d.code == "missing-session-plan"]
    assert w.severity == "warning"
    assert w.file == "outline/01-getting-started/02-more/session.yaml"
    assert "`ss-more` has no session plan" in w.message
    strict = run(course, ["handbook"], BuildOptions(), strict=True, jobs=1).diagnostics
    (e,) = [d for d in strict if d.code == "missing-session-plan"]
    assert e.severity == "error"


def test_sample_course_has_complete_handbook_material(sample_course) -> None:  # type: ignore[no-untyped-def]
    subsections = [ss for s in sample_course.sections for ss in s.subsections]
    assert len(subsections) == 11 and all(ss.session_plan for ss in subsections)
    assert sum(1 for u in sample_course.units() if u.trainer_notes) >= 20
    hb = sample_course.handbook
    assert hb is not None and len(hb.front) + len(hb.back) >= 5
    assert check_handbook(sample_course) == []


def test_build_and_check_report_an_image_typst_cannot_read(src: Path, tmp_path: Path) -> None:
    """The handbook target raises Typst's error as a finding: check and build both report it at
    exit 1 (not a crashed build at exit 3), and nothing is published."""
    from click.testing import CliRunner

    from builder.cli import main

    (src / "static/images/broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really a png")
    edit(
        src,
        "handbook/approach.md",
        "## Before the first session",
        "![A diagram](../static/images/broken.png)\n\n## Before",
    )
    course = load_course(src)
    from builder.pipeline import run

    (d,) = [d for d in run(course, ["handbook"], BuildOptions(), jobs=1).diagnostics if d.code == "typst"]
    assert d.severity == "error" and d.file.endswith(".handbook.pdf")
    assert "could not be typeset" in d.message
    out = tmp_path / "dist"
    built = CliRunner().invoke(main, ["build", str(src), "-t", "handbook", "-o", str(out)])
    assert built.exit_code == 1, built.output
    assert "could not be typeset" in built.output
    assert not out.exists() or [p.name for p in out.iterdir() if p.name != ".coursepack-cache"] == []
