"""The sample course keeps exercising every feature the tool has (issue "Foundation", §6)."""

from __future__ import annotations

from collections import Counter

from builder.model import Course, Html
from builder.validate.competences import check_competences


def test_outline_is_large_enough(sample_course: Course) -> None:
    c = sample_course
    assert len(c.sections) >= 4
    assert sum(len(s.subsections) for s in c.sections) >= 10
    assert len(c.units()) >= 30


def test_problems_cover_every_type(sample_course: Course) -> None:
    kinds = Counter(p.type for p in sample_course.problems())
    assert sum(kinds.values()) >= 15
    assert set(kinds) == {"single", "multiple", "numeric", "text", "dropdown"}
    tolerances = {p.tolerance.endswith("%") for p in sample_course.problems() if p.type == "numeric"}
    assert tolerances == {True, False}, "both relative and absolute tolerances"
    assert any(p.case_sensitive for p in sample_course.problems() if p.type == "text")


def test_media(sample_course: Course) -> None:
    videos = [v for u in sample_course.units() for v in u.videos]
    assert len(videos) >= 2
    assert all(v.transcripts for v in videos)
    images = [a for a in sample_course.assets if a.flat_name.endswith(".png")]
    assert len(images) >= 3
    html = "".join(c.html for u in sample_course.units() for c in u.components if isinstance(c, Html))
    used = {a.flat_name for a in images if f"/static/{a.flat_name}" in html}
    assert len(used) >= 3, "at least three images are shown in units"


def test_graded_final_exam(sample_course: Course) -> None:
    graded = [ss for s in sample_course.sections for ss in s.subsections if ss.graded]
    assert any(ss.format == "Final Exam" and ss.units for ss in graded)
    assert {g.type for g in sample_course.grading.graders} == {ss.format for ss in graded}


def test_competence_map_and_tags(sample_course: Course) -> None:
    cmap = sample_course.competences
    assert len(cmap.units) >= 5
    assert len(cmap.outcomes()) >= 20
    assert {u.eqf_level for u in cmap.units} <= {5, 6}
    assert all(u.outcomes for u in sample_course.units()), "every unit is tagged"
    assert all(p.assesses for p in sample_course.problems()), "every problem is tagged"
    assert check_competences(sample_course, strict=True) == [], "the sample map has no warnings"


def test_right_answers_are_not_predictable_by_position(sample_course: Course) -> None:
    """Learners learn to pick "the first option" fast; no position may hold most right answers."""
    for kind in ("single", "dropdown"):
        positions = Counter(
            next(i for i, c in enumerate(p.choices) if c.correct)
            for p in sample_course.problems()
            if p.type == kind
        )
        assert max(positions.values()) <= 0.5 * sum(positions.values()), (kind, positions)
