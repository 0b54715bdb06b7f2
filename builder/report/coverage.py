"""The coverage report: which course unit teaches and which problem assesses each learning outcome.

Trainers and ECVET reviewers read a curriculum map as a matrix — course units down, outcomes
across, grouped by unit of learning outcomes — and look for the holes: outcomes nobody teaches or
assesses, content that serves no outcome. This module computes that matrix once (``coverage``)
and writes it three ways: an HTML page for people (self-contained, so it can be mailed or opened
from a CI artefact), CSV for spreadsheets and JSON for other tools. Bytes are deterministic: same
course, same files.

The words around the data (headings, column labels, legend, summary sentences) come from one string
table per language in ``templates/i18n/`` (loaded by ``builder.i18n.ui``, like the SCO controls and
the handbook headings), picked by the course language, so a translated course gets its report in
its own language. The CSV and JSON keep stable machine names (column names, keys, ``status``
values) in every language; their human text (titles, statements) is the translated model's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2

from builder import csvsafe
from builder.archive import write_file
from builder.diagnostics import Diagnostic
from builder.i18n import ui as ui_tables
from builder.model import WEB_URI, Course, LearningUnit, Outcome
from builder.templates import Environment, render_bytes
from builder.validate.competences import Totals, check_competences, totals

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STRINGS_DIR = TEMPLATE_DIR / "i18n"

CellState = Literal["both", "taught", "assessed", ""]

STATE_SYMBOLS: dict[str, str] = {"both": "T+A", "taught": "T", "assessed": "A", "": ""}
"""What a cell says in text, so the matrix never relies on colour alone (and survives CSV)."""

CATEGORIES: tuple[str, ...] = ("knowledge", "skills", "responsibility_autonomy")
"""The EQF columns, in the order the report and the handbook list them (labels: the string tables)."""


@dataclass(frozen=True)
class Cell:
    taught: bool
    problems: tuple[str, ...]
    """Ids of the problems in this course unit that assess the outcome."""

    @property
    def assessed(self) -> bool:
        return bool(self.problems)

    @property
    def state(self) -> CellState:
        if self.taught and self.assessed:
            return "both"
        if self.taught:
            return "taught"
        return "assessed" if self.assessed else ""

    @property
    def symbol(self) -> str:
        return STATE_SYMBOLS[self.state]


@dataclass(frozen=True)
class OutcomeCoverage:
    outcome: Outcome
    ulo: LearningUnit
    code: str
    """A short column label: the id without its unit's prefix (``K1`` for ``HTL.U1.K1``)."""
    taught_by: tuple[str, ...]
    """Course unit ids, in course order."""
    assessed_by: tuple[tuple[str, str], ...]
    """(course unit id, problem id) pairs, in course order."""

    @property
    def taught(self) -> bool:
        return bool(self.taught_by)

    @property
    def assessed(self) -> bool:
        return bool(self.assessed_by)

    @property
    def status(self) -> str:
        """``covered`` (taught and assessed), ``not assessed``, ``not taught`` or ``not covered``."""
        if self.taught and self.assessed:
            return "covered"
        if self.taught:
            return "not assessed"
        return "not taught" if self.assessed else "not covered"


@dataclass(frozen=True)
class Row:
    """One course unit (a row of the matrix)."""

    id: str
    title: str
    source: str
    section_id: str
    section_title: str
    subsection_id: str
    subsection_title: str
    cells: dict[str, Cell]
    """Outcome id → cell, for every outcome of the map (empty cells included)."""

    @property
    def has_outcomes(self) -> bool:
        return any(c.state for c in self.cells.values())


@dataclass(frozen=True)
class UloCoverage:
    ulo: LearningUnit
    outcomes: list[OutcomeCoverage]

    @property
    def taught(self) -> int:
        return sum(o.taught for o in self.outcomes)

    @property
    def assessed(self) -> int:
        return sum(o.assessed for o in self.outcomes)


@dataclass(frozen=True)
class Coverage:
    course: Course
    ulos: list[UloCoverage]
    rows: list[Row]
    totals: Totals
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def outcomes(self) -> list[OutcomeCoverage]:
        return [o for u in self.ulos for o in u.outcomes]

    @property
    def not_taught(self) -> list[OutcomeCoverage]:
        return [o for o in self.outcomes if not o.taught]

    @property
    def not_assessed(self) -> list[OutcomeCoverage]:
        return [o for o in self.outcomes if not o.assessed]

    @property
    def units_without_outcomes(self) -> list[Row]:
        return [r for r in self.rows if not r.has_outcomes]

    def cell(self, unit_id: str, outcome_id: str) -> Cell:
        return next(r for r in self.rows if r.id == unit_id).cells[outcome_id]


def coverage(course: Course, positions: Mapping[str, tuple[str, int]] | None = None) -> Coverage:
    """Build the matrix from the model; ``positions`` is passed to the competence checks listed in it."""
    cmap = course.competences
    known = cmap.outcome_index()
    rows: list[Row] = []
    taught_by: dict[str, list[str]] = {o: [] for o in known}
    assessed_by: dict[str, list[tuple[str, str]]] = {o: [] for o in known}
    # Cells are frozen values, and most are one of a few (untaught and unassessed…): one object
    # per distinct value rather than units × outcomes of them (50,000 at 2,000 units).
    made: dict[tuple[bool, tuple[str, ...]], Cell] = {}

    def cell(taught: bool, problem_ids: tuple[str, ...]) -> Cell:
        found = made.get((taught, problem_ids))
        if found is None:
            found = made[(taught, problem_ids)] = Cell(taught, problem_ids)
        return found

    for section in course.sections:
        for sub in section.subsections:
            for unit in sub.units:
                problems: dict[str, list[str]] = {}
                for p in unit.problems:
                    for oid in p.assesses:
                        problems.setdefault(oid, []).append(p.id)
                        if oid in assessed_by:
                            assessed_by[oid].append((unit.id, p.id))
                for oid in dict.fromkeys(unit.outcomes):
                    if oid in taught_by:
                        taught_by[oid].append(unit.id)
                taught = set(unit.outcomes)
                cells = {
                    oid: cell(oid in taught, tuple(dict.fromkeys(problems[oid])) if oid in problems else ())
                    for oid in known
                }
                rows.append(
                    Row(unit.id, unit.title, unit.source, section.id, section.title, sub.id, sub.title, cells)
                )
    ulos = [
        UloCoverage(
            ulo,
            [
                OutcomeCoverage(
                    o,
                    ulo,
                    _short_code(ulo, o),
                    tuple(taught_by[o.id]),
                    tuple(dict.fromkeys(assessed_by[o.id])),
                )
                for o in ulo.outcomes
            ],
        )
        for ulo in cmap.units
    ]
    return Coverage(course, ulos, rows, totals(cmap), check_competences(course, positions=positions))


def _short_code(ulo: LearningUnit, outcome: Outcome) -> str:
    prefix = ulo.id + "."
    return (
        outcome.id[len(prefix) :]
        if outcome.id.startswith(prefix) and len(outcome.id) > len(prefix)
        else outcome.id
    )


# --------------------------------------------------------------------------- writers


def strings(language: str) -> dict[str, str]:
    """The report's words in ``language`` (its primary subtag's table, English otherwise)."""
    return ui_tables.strings(STRINGS_DIR, language)


def _num(value: float | None, decimal_separator: str = ".") -> str:
    if value is None:
        return "–"
    text = str(int(value)) if float(value).is_integer() else f"{value:.1f}"
    return text.replace(".", decimal_separator)


@jinja2.pass_context
def _num_in_language(context: jinja2.runtime.Context, value: float | None) -> str:
    """Numbers as the reader writes them: ``12,5`` in a report whose table says the separator is ``,``."""
    return _num(value, context["decimal_separator"])


@cache
def _environment() -> jinja2.Environment:
    env = Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num_in_language
    env.tests["web_uri"] = is_web_uri
    return env


def is_web_uri(value: object) -> bool:
    """Only http(s) addresses become links in the report: the loader already refuses anything else,
    and this keeps a model built some other way from putting ``javascript:`` into an ``href``."""
    return isinstance(value, str) and WEB_URI.fullmatch(value) is not None


def to_html(cov: Coverage) -> bytes:
    template = _environment().get_template("coverage.html.j2")
    sections: list[tuple[str, list[Row]]] = []
    for row in cov.rows:
        if not sections or sections[-1][0] != row.section_title:
            sections.append((row.section_title, []))
        sections[-1][1].append(row)
    columns = [(o.outcome.id, " g0" if i == 0 else "") for u in cov.ulos for i, o in enumerate(u.outcomes)]
    table = strings(cov.course.language)
    return render_bytes(
        template,
        cov=cov,
        columns=columns,
        course=cov.course,
        framework=cov.course.competences.framework,
        sections=sections,
        symbols=STATE_SYMBOLS,
        t=ui_tables.helper(table),
        decimal_separator=table["decimal_separator"],
    )


def to_csv(cov: Coverage) -> bytes:
    """The matrix for spreadsheets: one row per course unit, one column per outcome, T / A / T+A.

    Every cell is escaped against spreadsheet formulas (``builder.csvsafe``): titles are free text.
    """
    outcomes = cov.outcomes
    rows: list[list[str]] = [
        ["section", "subsection", "unit", "unit_title", *[o.outcome.id for o in outcomes]]
    ]
    for row in cov.rows:
        rows.append(
            [
                row.section_id,
                row.subsection_id,
                row.id,
                row.title,
                *[row.cells[o.outcome.id].symbol for o in outcomes],
            ]
        )
    return csvsafe.dumps(rows, lineterminator="\n").encode("utf-8")


def to_data(cov: Coverage) -> dict[str, Any]:
    fw = cov.course.competences.framework
    t = cov.totals
    return {
        "course": {"slug": cov.course.slug, "title": cov.course.title},
        "framework": {
            "id": fw.id,
            "title": fw.title,
            "version": fw.version,
            "uri": cov.course.competences.uri(),
        },
        "units_of_learning_outcomes": [
            {
                "id": u.ulo.id,
                "title": u.ulo.title,
                "eqf_level": u.ulo.eqf_level,
                "ecvet_points": u.ulo.ecvet_points,
                "hours": u.ulo.hours,
                "outcomes": [
                    {
                        "id": o.outcome.id,
                        "category": o.outcome.category,
                        "statement": o.outcome.statement,
                        "ecf": {"code": o.outcome.ecf.code, "level": o.outcome.ecf.level}
                        if o.outcome.ecf
                        else None,
                        "esco": list(o.outcome.esco),
                        "taught_by": list(o.taught_by),
                        "assessed_by": [
                            {"unit": unit, "problem": problem} for unit, problem in o.assessed_by
                        ],
                        "status": o.status,
                    }
                    for o in u.outcomes
                ],
            }
            for u in cov.ulos
        ],
        "course_units": [
            {
                "id": r.id,
                "title": r.title,
                "source": r.source,
                "section": r.section_id,
                "subsection": r.subsection_id,
                "cells": {oid: c.state for oid, c in r.cells.items() if c.state},
            }
            for r in cov.rows
        ],
        "gaps": {
            "not_taught": [o.outcome.id for o in cov.not_taught],
            "not_assessed": [o.outcome.id for o in cov.not_assessed],
            "units_without_outcomes": [r.id for r in cov.units_without_outcomes],
        },
        "totals": {
            "units": [
                {
                    "id": u.id,
                    "eqf_level": u.eqf_level,
                    "ecvet_points": u.ecvet_points,
                    "hours": u.hours,
                    "outcomes": u.outcomes,
                }
                for u in t.units
            ],
            "ecvet_points": t.ecvet_points,
            "hours": t.hours,
            "outcomes": t.outcomes,
            "eqf_levels": {str(level): count for level, count in t.eqf_levels.items()},
        },
        "diagnostics": [
            {"file": d.file, "line": d.line, "severity": d.severity, "code": d.code, "message": d.message}
            for d in cov.diagnostics
        ],
    }


def to_json(cov: Coverage) -> bytes:
    return (json.dumps(to_data(cov), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def summary(cov: Coverage | Course) -> str:
    """A few lines for the terminal after ``coursepack report`` (given the coverage or the course).

    English in every language, like every other line the command line prints; the report files
    speak the course language."""
    if isinstance(cov, Course):
        cov = coverage(cov)
    n = len(cov.outcomes)
    both = sum(o.taught and o.assessed for o in cov.outcomes)
    t = cov.totals
    lines = [
        f"Coverage of {cov.course.competences.framework.title}: {n} outcomes in {len(cov.ulos)} units "
        f"of learning outcomes, {len(cov.rows)} course units",
        f"  taught {n - len(cov.not_taught)}/{n}, assessed {n - len(cov.not_assessed)}/{n}, both {both}/{n}",
    ]
    for label, ids in (
        ("not taught", [o.outcome.id for o in cov.not_taught]),
        ("not assessed", [o.outcome.id for o in cov.not_assessed]),
        ("course units without outcomes", [r.id for r in cov.units_without_outcomes]),
    ):
        if ids:
            lines.append(f"  {label}: {', '.join(ids)}")
    levels = ", ".join(f"EQF {lvl}: {cnt}" for lvl, cnt in t.eqf_levels.items())
    per_point = f" ({_num(t.hours_per_point)} h/point)" if t.hours_per_point else ""
    lines.append(
        f"  {_num(t.ecvet_points)} ECVET points, {_num(t.hours)} h{per_point}; units by level: {levels}"
    )
    return "\n".join(lines)


def write_reports(
    course: Course,
    out_dir: Path,
    positions: Mapping[str, tuple[str, int]] | None = None,
    cov: Coverage | None = None,
) -> list[Path]:
    """Write ``<slug>.coverage.html``, ``.csv`` and ``.json`` into ``out_dir`` atomically
    (``cov``: the course's coverage when the caller has computed it already)."""
    cov = cov if cov is not None else coverage(course, positions)
    paths: list[Path] = []
    # One document at a time: the three together were ~130 MB at 20,000 units, the HTML half of it.
    for ext, make in (("html", to_html), ("csv", to_csv), ("json", to_json)):
        dest = out_dir / f"{course.stem}.coverage.{ext}"
        write_file(make(cov), dest)
        paths.append(dest)
    return paths
