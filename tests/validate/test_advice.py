"""LMS-behaviour checks: Open edX's self-paced dates, Moodle's multi-SCO 2004 player and grading."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from builder.diagnostics import Diagnostic, escalate, tally
from builder.model import Course
from builder.source import load_course
from builder.targets import BuildOptions
from builder.validate.advice import check_advice
from builder.validate.course import check_course
from tests.conftest import SAMPLE_SRC
from tests.factories import make_course


@pytest.fixture
def course(tmp_path: Path) -> Course:
    return make_course(tmp_path / "src")


def codes(diags: list[Diagnostic]) -> list[tuple[str, str, str]]:
    return [(d.code, d.severity, d.file) for d in diags]


# --------------------------------------------------------------------------- Open edX dates


def test_self_paced_course_with_due_dates_warns(course: Course) -> None:
    """The factory course is self-paced and its Practice subsection is due on 30 April."""
    found = [d for d in check_advice(course, BuildOptions()) if d.code == "openedx.self-paced-due"]
    assert len(found) == 1
    assert found[0].severity == "warning"
    assert "ss-practice" in found[0].message
    assert "pacing: instructor" in found[0].hint


def test_instructor_paced_course_keeps_its_due_dates_silently(course: Course) -> None:
    paced = course.model_copy(update={"pacing": "instructor"})
    assert [d for d in check_advice(paced, BuildOptions()) if d.code.startswith("openedx.")] == []


def test_due_date_warning_names_the_due_line_of_the_subsection_file(tmp_path: Path) -> None:
    """A real source tree: the warning points at the ``due:`` line, not just the file."""
    import shutil

    src = tmp_path / "course_src"
    shutil.copytree(SAMPLE_SRC, src)
    sub = src / "outline/06-final-exam/01-final-exam/subsection.yaml"
    sub.write_text(sub.read_text(encoding="utf-8") + "due: 2026-12-11T23:59:00Z\n", encoding="utf-8")
    lines = sub.read_text(encoding="utf-8").splitlines()
    found = [d for d in check_advice(load_course(src), BuildOptions()) if d.code == "openedx.self-paced-due"]
    assert [(d.file, d.line) for d in found] == [
        ("outline/06-final-exam/01-final-exam/subsection.yaml", len(lines))
    ]
    assert str(found[0]).startswith("outline/06-final-exam/01-final-exam/subsection.yaml:4: warning:")


def test_sample_course_promises_no_date_open_edx_would_drop(sample_course: Course) -> None:
    assert sample_course.pacing == "self"
    assert all(ss.due is None for s in sample_course.sections for ss in s.subsections)
    assert [d for d in check_advice(sample_course, BuildOptions()) if d.severity != "note"] == []


# --------------------------------------------------------------------------- Moodle


def test_multi_sco_2004_package_gets_a_moodle_note(course: Course) -> None:
    found = [d for d in check_advice(course, BuildOptions()) if d.code == "moodle.multi-sco-2004"]
    assert codes(found) == [("moodle.multi-sco-2004", "note", f"{course.slug}.scorm2004.zip")]
    assert "--sco course" in found[0].hint and ".scorm12.zip" in found[0].hint


def test_single_sco_2004_package_gets_none(course: Course) -> None:
    diags = check_advice(course, BuildOptions(sco="course"))
    assert [d for d in diags if d.code.startswith("moodle.")] == []


def test_split_packages_are_judged_one_by_one(course: Course) -> None:
    """Section one has two units (multi-SCO); section two has one (a single SCO: no note)."""
    found = [
        d.file
        for d in check_advice(course, BuildOptions(split="section"))
        if d.code == "moodle.multi-sco-2004"
    ]
    assert found == [f"{course.slug}.s-one.scorm2004.zip"]


def test_no_2004_package_no_2004_note(course: Course) -> None:
    diags = check_advice(course, BuildOptions(), targets=("scorm12",))
    assert "moodle.multi-sco-2004" not in {d.code for d in diags}
    assert "moodle.grade-method" in {d.code for d in diags}


def test_grade_method_note_only_for_scored_multi_sco_packages(course: Course) -> None:
    found = {d.file for d in check_advice(course, BuildOptions()) if d.code == "moodle.grade-method"}
    assert found == {f"{course.slug}.scorm12.zip", f"{course.slug}.scorm2004.zip"}
    unscored = course.model_copy(deep=True)
    for unit in unscored.units():
        unit.components = [c for c in unit.components if c.kind != "problem"]
    assert not [d for d in check_advice(unscored, BuildOptions()) if d.code == "moodle.grade-method"]


# --------------------------------------------------------------------------- severity


def test_strict_escalates_warnings_but_not_notes() -> None:
    warning = Diagnostic("a", 1, None, "w", severity="warning", code="x")
    note = Diagnostic("b", None, None, "n", severity="note", code="y")
    assert [d.severity for d in escalate([warning, note])] == ["error", "note"]
    assert tally([warning, note, replace(warning, severity="error")]) == {"error": 1, "warning": 1, "note": 1}
    assert str(note) == "b: note: n"


def test_check_course_runs_the_advice_and_strict_keeps_notes(course: Course) -> None:
    diags = check_course(course, BuildOptions(), strict=True)
    by_code = {d.code: d.severity for d in diags}
    assert by_code["openedx.self-paced-due"] == "error"
    assert by_code["moodle.multi-sco-2004"] == "note"
    assert by_code["moodle.grade-method"] == "note"


def test_sample_course_strict_check_has_only_notes(sample_course: Course) -> None:
    diags = check_course(sample_course, BuildOptions(), strict=True)
    assert tally(diags)["error"] == 0 and tally(diags)["warning"] == 0, [str(d) for d in diags]
    assert {d.code for d in diags} == {"moodle.multi-sco-2004", "moodle.grade-method"}


def test_cli_strict_check_of_the_sample_passes_and_counts_notes_apart() -> None:
    from click.testing import CliRunner

    from builder.cli import main

    result = CliRunner().invoke(main, ["check", str(SAMPLE_SRC), "--strict"])
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s), 3 note(s) about LMS behaviour" in result.output
    assert "note: this SCORM 2004 package has 32 SCOs" in result.output
