"""Whole-course competence checks: gaps warn, strict makes them errors, e-CF must fit the EQF level."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.model import Course, EcfRef, Outcome, Unit
from builder.validate.competences import check_competences, totals
from tests.conftest import ROOT
from tests.factories import make_course


@pytest.fixture
def course(tmp_path: Path) -> Course:
    """The factory course, made clean: every outcome has criteria, is taught and assessed."""
    c = make_course(tmp_path)
    for o in c.competences.outcomes():
        o.assessment_criteria = [f"Shows {o.id} in a worked example."]
    return c


def codes(diags: list) -> list[tuple[str, str]]:
    return [(d.code, d.severity) for d in diags]


def unit(course: Course, unit_id: str) -> Unit:
    return next(u for u in course.units() if u.id == unit_id)


def test_clean_course_has_no_findings(course: Course) -> None:
    assert check_competences(course) == []
    assert check_competences(course, strict=True) == []


def introduce_gaps(course: Course) -> None:
    # TM.U1.S1 is no longer taught; TM.U2.R1 no longer assessed; one course unit serves nothing.
    unit(course, "u-practice").outcomes = []
    for p in course.problems():
        p.assesses = [o for o in p.assesses if o != "TM.U2.R1"]
    course.sections[1].subsections[0].units.append(
        Unit(id="u-extra", title="Extra", outcomes=[], components=[], source="outline/02-c/01-d/02-extra.md")
    )


def test_gaps_are_warnings(course: Course) -> None:
    introduce_gaps(course)
    diags = check_competences(course)
    assert codes(diags) == [
        ("outcome-not-taught", "warning"),
        ("outcome-not-assessed", "warning"),
        ("unit-without-outcomes", "warning"),
    ]
    not_taught, not_assessed, no_outcomes = diags
    assert "TM.U1.S1" in not_taught.message and not_taught.file == "competences.yaml"
    assert "TM.U2.R1" in not_assessed.message
    assert no_outcomes.file == "outline/02-c/01-d/02-extra.md" and "u-extra" in no_outcomes.message
    assert all(d.hint for d in diags)


def test_strict_turns_warnings_into_errors(course: Course) -> None:
    introduce_gaps(course)
    strict = check_competences(course, strict=True)
    assert [d.severity for d in strict] == ["error"] * 3
    assert [d.code for d in strict] == [d.code for d in check_competences(course)]


def test_positions_give_file_and_line(course: Course) -> None:
    introduce_gaps(course)
    positions = {"TM.U1.S1": ("maps/competences.yaml", 31), "u-extra": ("outline/02-c/01-d/02-extra.md", 2)}
    diags = check_competences(course, positions=positions)
    assert [(d.file, d.line) for d in diags] == [
        ("maps/competences.yaml", 31),
        ("competences.yaml", None),  # TM.U2.R1 has no position
        ("outline/02-c/01-d/02-extra.md", 2),
    ]
    assert str(diags[0]).startswith("maps/competences.yaml:31: warning:")
    # Without the argument, the loader's Course.positions is used.
    course.positions = {"TM.U2.R1": ("competences.yaml", 40)}
    assert [(d.file, d.line) for d in check_competences(course)][1] == ("competences.yaml", 40)


@pytest.mark.parametrize(
    ("ecf_level", "eqf_level", "consistent"),
    [
        (1, 3, True),
        (1, 4, False),
        (2, 4, True),
        (2, 5, True),
        (2, 6, False),
        (3, 6, True),
        (3, 5, False),
        (4, 7, True),
        (4, 6, False),
        (5, 8, True),
        (5, 7, False),
    ],
)
def test_ecf_level_must_fit_eqf_level(
    course: Course, ecf_level: int, eqf_level: int, consistent: bool
) -> None:
    ulo = course.competences.units[0]
    ulo.eqf_level = eqf_level
    ulo.outcomes[0].ecf = EcfRef(code="A.1", level=ecf_level)
    diags = check_competences(course)
    if consistent:
        assert diags == []
    else:
        assert codes(diags) == [("ecf-eqf-mismatch", "warning")]
        assert f"e-{ecf_level}" in diags[0].message and f"EQF {eqf_level}" in diags[0].message


def test_missing_assessment_criteria_warn(course: Course) -> None:
    course.competences.units[1].outcomes[0].assessment_criteria = []
    assert codes(check_competences(course)) == [("outcome-without-criteria", "warning")]


def test_lms_identifier_limits(course: Course) -> None:
    long_id = "TM.U1." + "x" * 250  # 256 characters: over SCORM 1.2's 255 and Moodle's 100
    outcome = course.competences.units[0].outcomes[1]
    old = outcome.id
    outcome.id = long_id
    unit(course, "u-practice").outcomes = [long_id]
    for p in course.problems():
        p.assesses = [long_id if o == old else o for o in p.assesses]
    found = codes(check_competences(course))
    assert ("scorm12-objective-id", "warning") in found
    assert ("moodle-idnumber-too-long", "warning") in found

    outcome.id = "TM U1 S1"  # whitespace is not allowed in a CMIIdentifier
    unit(course, "u-practice").outcomes = [outcome.id]
    for p in course.problems():
        p.assesses = [outcome.id if o == long_id else o for o in p.assesses]
    assert codes(check_competences(course)) == [("scorm12-objective-id", "warning")]


def test_long_unit_title_warns_for_moodle(course: Course) -> None:
    course.competences.units[1].title = "A title " * 20
    assert codes(check_competences(course)) == [("moodle-shortname-too-long", "warning")]


def test_duplicate_openedx_tag_values_warn(course: Course) -> None:
    # Ids that differ only in case give tag values that Open edX treats as the same.
    twin = course.competences.units[0].outcomes[0].model_copy(update={"id": "tm.u1.k1"})
    course.competences.units[0].outcomes.append(twin)
    unit(course, "u-intro").outcomes.append("tm.u1.k1")
    course.problems()[0].assesses.append("tm.u1.k1")
    diags = check_competences(course)
    assert codes(diags) == [("openedx-duplicate-tag-value", "warning")]
    assert "tm.u1.k1" in diags[0].message and "TM.U1.K1" in diags[0].message


def test_unit_of_learning_outcomes_without_outcomes_warns(course: Course) -> None:
    course.competences.units[1].outcomes = []
    for p in course.problems():
        p.assesses = [o for o in p.assesses if o != "TM.U2.R1"]
    unit(course, "u-report").outcomes = []
    assert codes(check_competences(course)) == [("ulo-without-outcomes", "warning")]


def test_totals(course: Course) -> None:
    course.competences.units[0].outcomes.append(
        Outcome(id="TM.U1.R1", category="responsibility_autonomy", statement="Owns it.", unit_id="TM.U1")
    )
    t = totals(course.competences)
    assert [(u.id, u.ecvet_points, u.hours, u.outcomes) for u in t.units] == [
        ("TM.U1", 2, 50, 3),
        ("TM.U2", 1, 25, 1),
    ]
    assert (t.ecvet_points, t.hours, t.outcomes) == (3, 75, 4)
    assert t.eqf_levels == {5: 1, 6: 1}
    assert t.hours_per_point == 25
    assert t.units[0].hours_per_point == 25


def test_sample_course_findings_point_at_the_yaml_line(sample_course: Course) -> None:
    assert [d for d in check_competences(sample_course) if d.severity == "error"] == []
    course = sample_course.model_copy(deep=True)
    target = course.competences.outcomes()[-1].id
    for p in course.problems():
        p.assesses = [o for o in p.assesses if o != target]
    found = [d for d in check_competences(course) if d.code == "outcome-not-assessed"]
    assert [d.message for d in found] == [f"no problem assesses outcome {target}"]
    lines = (ROOT / "course_src" / "competences.yaml").read_text(encoding="utf-8").splitlines()
    assert found[0].file == "competences.yaml"
    assert found[0].line is not None and f"id: {target}" in lines[found[0].line - 1]
