"""Competence-map checks that need the whole course, and the ECVET/hours totals the report prints.

The loader already rejects what makes the model unusable (duplicate ids, unknown outcome
references, out-of-range levels). What is left here are findings a course team may knowingly
ship — an outcome nobody assesses yet, an e-CF level that does not fit the unit's EQF level, an id
that an LMS will cut short — so they are warnings by default and errors only with ``strict=True``
(CI pipelines that want a clean map).

Every finding names the file and, where the loader told us, the line: ``positions`` (by default
``Course.positions``) maps a node id (framework id, unit-of-learning-outcomes id, outcome id,
course unit id, problem id) to ``(file, line)`` relative to the source root. For an id missing from
it, findings about the competence map point at ``competences.yaml`` and findings about a course unit
at ``Unit.source``, with no line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from builder.diagnostics import Diagnostic, Severity
from builder.model import CompetenceMap, Course, LearningUnit
from builder.taxonomy import tag_value, unit_value

COMPETENCES_FILE = "competences.yaml"
"""Where findings about the map point when the loader gave no position."""

ECF_TO_EQF: dict[int, tuple[int, ...]] = {1: (3,), 2: (4, 5), 3: (6,), 4: (7,), 5: (8,)}
"""e-CF proficiency level e-1…e-5 → the EQF levels it relates to (EN 16234-1; competence.md §1.3)."""

SCORM12_ID_MAX = 255
"""SCORM 1.2 ``cmi.objectives.n.id`` is a CMIIdentifier: at most 255 characters, no whitespace."""

MOODLE_TEXT_MAX = 100
"""tool_lpimportcsv passes ID number and Short name through ``shorten_text(…, 100)``."""

Positions = Mapping[str, tuple[str, int]]


class _Add(Protocol):
    def __call__(self, node_id: str, code: str, message: str, hint: str, default_file: str = ...) -> None: ...


_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True)
class UnitTotals:
    """One unit of learning outcomes' weight: what the ECVET unit specification must state."""

    id: str
    title: str
    eqf_level: int
    ecvet_points: float
    hours: float
    outcomes: int

    @property
    def hours_per_point(self) -> float | None:
        return self.hours / self.ecvet_points if self.ecvet_points else None


@dataclass(frozen=True)
class Totals:
    units: list[UnitTotals]
    ecvet_points: float
    hours: float
    outcomes: int
    eqf_levels: dict[int, int] = field(default_factory=dict)
    """EQF level → number of units of learning outcomes at that level, ascending."""

    @property
    def hours_per_point(self) -> float | None:
        return self.hours / self.ecvet_points if self.ecvet_points else None


def totals(cmap: CompetenceMap) -> Totals:
    """ECVET points, notional hours and outcome counts per unit of learning outcomes and overall.

    ECVET allocates points to the qualification first and splits them by relative weight, so the
    sum and the hours-per-point ratio are what a reviewer compares with the 60-points-a-year
    reference.
    """
    rows = [
        UnitTotals(u.id, u.title, u.eqf_level, u.ecvet_points, u.hours, len(u.outcomes)) for u in cmap.units
    ]
    levels = Counter(u.eqf_level for u in cmap.units)
    return Totals(
        units=rows,
        ecvet_points=sum(r.ecvet_points for r in rows),
        hours=sum(r.hours for r in rows),
        outcomes=sum(r.outcomes for r in rows),
        eqf_levels={level: levels[level] for level in sorted(levels)},
    )


def ecf_consistent(ecf_level: int, eqf_level: int) -> bool:
    return eqf_level in ECF_TO_EQF.get(ecf_level, ())


def check_competences(
    course: Course, strict: bool = False, positions: Positions | None = None
) -> list[Diagnostic]:
    """Whole-course competence findings, in source order (map first, then course units).

    ``positions`` maps node ids to ``(file, line)``; by default ``Course.positions``, which the loader
    fills from its YAML and front-matter line tracking. ``strict`` reports every finding as an error
    instead of a warning.
    """
    severity: Severity = "error" if strict else "warning"
    pos = course.positions if positions is None else positions
    cmap = course.competences
    findings: list[Diagnostic] = []

    def at(node_id: str, default_file: str = COMPETENCES_FILE) -> tuple[str, int | None]:
        if node_id in pos:
            file, line = pos[node_id]
            return file, line
        return default_file, None

    def add(node_id: str, code: str, message: str, hint: str, default_file: str = COMPETENCES_FILE) -> None:
        file, line = at(node_id, default_file)
        findings.append(Diagnostic(file, line, None, message, hint, severity, code))

    taught = {o for u in course.units() for o in u.outcomes}
    assessed = {o for p in course.problems() for o in p.assesses}

    for name, text in (("framework id", cmap.framework.id), ("framework title", cmap.framework.title)):
        if len(text) > MOODLE_TEXT_MAX:
            add(
                cmap.framework.id,
                "moodle-idnumber-too-long" if name.endswith("id") else "moodle-shortname-too-long",
                f"the {name} has {len(text)} characters; Moodle keeps only the first {MOODLE_TEXT_MAX}",
                f"shorten it to at most {MOODLE_TEXT_MAX} characters",
            )

    for ulo in cmap.units:
        _check_ulo(ulo, add)
        for outcome in ulo.outcomes:
            oid = outcome.id
            if outcome.ecf and not ecf_consistent(outcome.ecf.level, ulo.eqf_level):
                expected = " or ".join(f"EQF {n}" for n in ECF_TO_EQF[outcome.ecf.level])
                add(
                    oid,
                    "ecf-eqf-mismatch",
                    f"outcome {oid} claims e-CF {outcome.ecf.label}, which relates to {expected}, "
                    f"but its unit {ulo.id} is at EQF {ulo.eqf_level}",
                    "align the e-CF level with the unit's EQF level (e-1→3, e-2→4–5, e-3→6, e-4→7, e-5→8) "
                    "or move the outcome to a unit at the matching level",
                )
            if not outcome.assessment_criteria:
                add(
                    oid,
                    "outcome-without-criteria",
                    f"outcome {oid} has no assessment criteria",
                    "ECVET units state how each outcome is assessed: add assessment_criteria",
                )
            if oid not in taught:
                add(
                    oid,
                    "outcome-not-taught",
                    f"no course unit teaches outcome {oid}",
                    "list it under `outcomes:` in the front matter of the unit that teaches it",
                )
            if oid not in assessed:
                add(
                    oid,
                    "outcome-not-assessed",
                    f"no problem assesses outcome {oid}",
                    "add it to `assesses:` of a problem that tests it",
                )
            if len(oid) > SCORM12_ID_MAX or _WHITESPACE.search(oid):
                add(
                    oid,
                    "scorm12-objective-id",
                    f"outcome id {oid!r} is not a valid SCORM 1.2 objective id "
                    f"(at most {SCORM12_ID_MAX} characters, no whitespace)",
                    "use a shorter id without spaces",
                )

    _check_tags(cmap, add)

    for unit in course.units():
        if not unit.all_outcomes():
            add(
                unit.id,
                "unit-without-outcomes",
                f"course unit {unit.id} neither teaches nor assesses any outcome",
                "add `outcomes:` to its front matter (or `assesses:` to its problems)",
                default_file=unit.source,
            )
    return findings


def _check_ulo(ulo: LearningUnit, add: _Add) -> None:
    if not ulo.outcomes:
        add(
            ulo.id,
            "ulo-without-outcomes",
            f"unit of learning outcomes {ulo.id} has no outcomes",
            "an ECVET unit is a set of learning outcomes: add at least one",
        )
    if len(ulo.id) > MOODLE_TEXT_MAX:
        add(
            ulo.id,
            "moodle-idnumber-too-long",
            f"unit id {ulo.id!r} has {len(ulo.id)} characters; Moodle cuts ID numbers to {MOODLE_TEXT_MAX}, "
            "which detaches its outcomes on import",
            f"use an id of at most {MOODLE_TEXT_MAX} characters",
        )
    if len(ulo.title) > MOODLE_TEXT_MAX:
        add(
            ulo.id,
            "moodle-shortname-too-long",
            f"unit title has {len(ulo.title)} characters; Moodle shows only the first {MOODLE_TEXT_MAX}",
            f"shorten the title to at most {MOODLE_TEXT_MAX} characters",
        )
    for outcome in ulo.outcomes:
        if len(outcome.id) > MOODLE_TEXT_MAX:
            add(
                outcome.id,
                "moodle-idnumber-too-long",
                f"outcome id {outcome.id!r} has {len(outcome.id)} characters; "
                f"Moodle cuts ID numbers to {MOODLE_TEXT_MAX}",
                f"use an id of at most {MOODLE_TEXT_MAX} characters",
            )


def _check_tags(cmap: CompetenceMap, add: _Add) -> None:
    """Open edX needs tag values unique (case-insensitively) within a taxonomy; tags-v1 refers by value.

    ``builder.taxonomy.taxonomy_rows`` refuses to build a colliding taxonomy; here the same values
    (from the same module) are compared so that every collision is reported at its node.
    """
    values = [(u.id, unit_value(u)) for u in cmap.units]
    values += [(o.id, tag_value(o)) for o in cmap.outcomes()]
    first: dict[str, str] = {}
    for node_id, value in values:
        key = value.casefold()
        if key in first:
            add(
                node_id,
                "openedx-duplicate-tag-value",
                f"the Open edX tag value of {node_id} ({value!r}) equals that of {first[key]}; "
                "the taxonomy cannot be built",
                "make the titles/statements distinct (the tag value is the id plus the start of the text)",
            )
        else:
            first[key] = node_id
