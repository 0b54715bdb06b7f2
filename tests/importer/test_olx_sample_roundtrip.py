"""import(build(sample)): the sample course's OLX, imported, loads into the same course model.

The comparison is semantic — the two ``Course`` models, field by field — not of files. What the
OLX cannot carry is listed in ``NOT_CARRIED`` with the reason, and asserted to be the only
difference, so a new loss cannot hide behind an old one.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from builder.archive import write_tar_gz
from builder.cli import main
from builder.importer.olx import REPORT_FILE, import_olx
from builder.model import Course, Html, Problem, Video
from builder.source import load_course
from builder.targets import olx
from tests.conftest import SAMPLE_SRC

NOT_CARRIED = {
    "unit.outcomes": "a vertical carries taught ∪ assessed outcomes (learning_outcomes, tags); "
    "the split between taught and assessed-only is not in the OLX",
    "competences.details": "the taxonomy file is not part of a course export: statements come back "
    "as tag values (cut at 160 characters), and unit titles, assessment criteria, EQF levels, ECVET "
    "points, hours, e-CF/ESCO references and framework metadata are placeholders",
    "markdown source": "the Markdown is regenerated from HTML (compared: the HTML it renders to)",
}


def _html(c: Html) -> dict[str, Any]:
    return {"kind": "html", "id": c.id, "html": c.html}


def _problem(p: Problem) -> dict[str, Any]:
    return {
        "kind": "problem",
        **p.model_dump(exclude={"line", "prompt_md", "hints_md", "explanation_md", "choices", "kind"}),
        "choices": [(c.text_html, c.correct, c.feedback_html) for c in p.choices],
    }


def _video(v: Video) -> dict[str, Any]:
    return {
        "kind": "video",
        **v.model_dump(exclude={"line", "transcripts", "kind"}),
        "transcripts": [(t.language, t.asset.flat_name, t.asset.source.read_bytes()) for t in v.transcripts],
    }


def _component(c: object) -> dict[str, Any]:
    if isinstance(c, Html):
        return _html(c)
    if isinstance(c, Problem):
        return _problem(c)
    assert isinstance(c, Video), c
    return _video(c)


def semantic(course: Course) -> dict[str, Any]:
    """Everything a learner sees or the LMS records, in comparable form."""
    return {
        "course": course.model_dump(
            include={
                "org",
                "number",
                "run",
                "title",
                "language",
                "start",
                "end",
                "pacing",
                "short_description",
                "overview_html",
                "license",
                "grading",
            }
        ),
        "image": (course.image.flat_name, course.image.source.read_bytes()),
        "assets": sorted((a.flat_name, a.source.read_bytes()) for a in course.assets),
        "outline": [
            {
                "id": s.id,
                "title": s.title,
                "subsections": [
                    {
                        **ss.model_dump(include={"id", "title", "graded", "format", "due"}),
                        "units": [
                            {
                                "id": u.id,
                                "title": u.title,
                                "outcomes taught or assessed": u.all_outcomes(),
                                "components": [_component(c) for c in u.components],
                            }
                            for u in ss.units
                        ],
                    }
                    for ss in s.subsections
                ],
            }
            for s in course.sections
        ],
        "outcome ids": sorted(o.id for o in course.competences.outcomes()),
        "outcome units": sorted(u.id for u in course.competences.units),
        "taxonomy export_id": course.competences.framework.id,
    }


@pytest.fixture(scope="module")
def imported(sample_course: Course, tmp_path_factory: pytest.TempPathFactory) -> tuple[Course, Path]:
    tmp = tmp_path_factory.mktemp("roundtrip")
    tarball = tmp / f"{sample_course.slug}.olx.tar.gz"
    write_tar_gz(olx.build_members(sample_course), tarball, sample_course.source_epoch)
    dest = tmp / "imported"
    import_olx(tarball, dest)
    return load_course(dest), dest


def test_sample_round_trips_to_the_same_model(sample_course: Course, imported: tuple[Course, Path]) -> None:
    before, after = semantic(sample_course), semantic(imported[0])
    for key in before:
        assert after[key] == before[key], key


def test_counts_match_the_sample(sample_course: Course, imported: tuple[Course, Path]) -> None:
    course, _ = imported
    assert len(course.units()) == len(sample_course.units()) == 32
    assert len(course.problems()) == len(sample_course.problems()) == 71
    assert sorted(p.type for p in course.problems()) == sorted(p.type for p in sample_course.problems())
    assert sum(len(u.videos) for u in course.units()) == 2


def test_only_the_listed_things_differ(sample_course: Course, imported: tuple[Course, Path]) -> None:
    """The losses NOT_CARRIED names are real (else the list is stale) and are the only ones."""
    course, dest = imported
    taught = {u.id: u.outcomes for u in sample_course.units()}
    assert any(course_u.outcomes != taught[course_u.id] for course_u in course.units()), "unit.outcomes"
    assert all(set(u.outcomes) == set(u.all_outcomes()) for u in course.units())
    original = sample_course.competences.outcome_index()
    for o in course.competences.outcomes():
        # the statement as Open edX tags carry it: the original's, cut at 160 characters
        assert original[o.id].statement.startswith(o.statement.rstrip("…").rstrip())
    report = (dest / REPORT_FILE).read_text(encoding="utf-8")
    assert "## Kept as pass-through ```olx blocks (0)" in report
    assert "## Dropped (0)" in report
    assert "## Renamed ids (0)" in report and "## Renamed files (0)" in report
    assert set(NOT_CARRIED) == {"unit.outcomes", "competences.details", "markdown source"}


def test_cli_imports_the_built_tarball(tmp_path: Path) -> None:
    runner = CliRunner()
    dist = tmp_path / "dist"
    built = runner.invoke(main, ["build", str(SAMPLE_SRC), "--target", "olx", "--out", str(dist)])
    assert built.exit_code == 0, built.output
    [tarball] = dist.glob("*.olx.tar.gz")
    assert tarfile.is_tarfile(tarball)
    result = runner.invoke(main, ["import", "olx", str(tarball), str(tmp_path / "src")])
    assert result.exit_code == 0, result.output
    assert "23 problem:single" in result.output and "13 problem:dropdown" in result.output
    assert (tmp_path / "src" / REPORT_FILE).is_file()
    check = runner.invoke(main, ["check", str(tmp_path / "src")])
    assert check.exit_code == 0, check.output
    assert "0 error(s)" in check.output
