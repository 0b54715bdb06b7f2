"""Checks about what an LMS will do with a correct package: where its defaults or limits override
what the course says.

Every package coursepack writes can be valid and still mean something else once imported, because
the LMS applies its own rules. Two kinds of finding come from here:

- **warnings** (course faults, escalated by ``--strict``): the source promises something one target
  will silently drop. Open edX ignores every subsection ``due`` date of a self-paced course
  (``extract_dates_from_course`` in openedx-platform
  ``openedx/core/djangoapps/course_date_signals/handlers.py`` keeps only course-level dates for
  ``self_paced`` courses and, when relative dates are on, computes its own deadlines).
- **notes** (advice about an LMS, never escalated): the package is right, but an LMS fails with it
  or its defaults misgrade it. Moodle 4.5's SCORM 2004 player refuses ``Initialize`` (error 104)
  for every SCO after the first when learners move with its table of contents, and Moodle's
  default *Grading method* "Highest grade" (``mod/scorm/settings.php``; the arithmetic is
  ``scorm_grade_user_attempt`` in ``mod/scorm/locallib.php``) gives a multi-SCO package the score
  of its best single SCO.

``check_advice(course, options)`` is the one entry point; ``coursepack check`` calls it, and the
build pipeline calls it for the packages it writes.
"""

from __future__ import annotations

import re
from pathlib import Path

from builder.diagnostics import Diagnostic
from builder.model import Course, Section, Subsection
from builder.targets import BuildOptions

SCORM_EXTS = {"scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004"}
_DUE_KEY = re.compile(r"^due\s*:")


def check_advice(
    course: Course, options: BuildOptions, targets: tuple[str, ...] = ("olx", "scorm12", "scorm2004")
) -> list[Diagnostic]:
    """Every LMS-behaviour finding for the packages of ``targets`` built with ``options``."""
    found: list[Diagnostic] = []
    if "olx" in targets:
        found += check_self_paced_due_dates(course)
    if "scorm2004" in targets:
        found += check_moodle_multi_sco_2004(course, options)
    found += check_moodle_grade_method(course, options, [t for t in targets if t in SCORM_EXTS])
    return found


# --------------------------------------------------------------------------- Open edX


def check_self_paced_due_dates(course: Course) -> list[Diagnostic]:
    """A warning at each subsection ``due:`` of a self-paced course: Open edX will not show it."""
    if course.pacing != "self":
        return []
    out: list[Diagnostic] = []
    for section in course.sections:
        for sub in section.subsections:
            if sub.due is None:
                continue
            file, line = _due_position(course, sub)
            out.append(
                Diagnostic(
                    file,
                    line,
                    None,
                    f"subsection `{sub.id}` has a due date, but the course is self-paced: Open edX "
                    "ignores due dates in self-paced courses (learners see none, or relative "
                    "deadlines it computes from their enrolment date)",
                    "remove `due:`, or set `pacing: instructor` in course.yaml to keep fixed dates",
                    "warning",
                    "openedx.self-paced-due",
                )
            )
    return out


def _due_position(course: Course, sub: Subsection) -> tuple[str, int | None]:
    """Where ``due:`` is written: the loader's recorded position if it kept one, else the line of
    the ``due`` key in the subsection file (read again only to place the message)."""
    if f"{sub.id}.due" in course.positions:
        return course.positions[f"{sub.id}.due"]
    file, line = course.positions.get(sub.id, ("", None))
    root = _source_root(course)
    if root is not None and file:
        try:
            lines = (root / file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        for number, text in enumerate(lines, start=1):
            if _DUE_KEY.match(text):
                return file, number
    return file or f"subsection {sub.id}", line


def _source_root(course: Course) -> Path | None:
    """The source folder, known from any static file whose ``source`` ends with its ``rel_path``."""
    for asset in [course.image, *course.assets]:
        full = asset.source.as_posix()
        if full.endswith("/" + asset.rel_path):
            return Path(full[: -len(asset.rel_path)])
    return None


# --------------------------------------------------------------------------- Moodle


def _scorm_packages(course: Course, options: BuildOptions, ext: str) -> list[tuple[str, int, bool]]:
    """(file name, SCO count, reports a score) of each package, as ``scorm_common`` names them."""
    parts: list[tuple[str, list[Section]]] = (
        [(f"{course.stem}.{s.id}.{ext}.zip", [s]) for s in course.sections]
        if options.split == "section"
        else [(f"{course.stem}.{ext}.zip", course.sections)]
    )
    out = []
    for name, sections in parts:
        units = [u for s in sections for ss in s.subsections for u in ss.units]
        scos = 1 if options.sco == "course" else len(units)
        out.append((name, scos, any(u.problems for u in units)))
    return out


def check_moodle_multi_sco_2004(course: Course, options: BuildOptions) -> list[Diagnostic]:
    """A note on each SCORM 2004 package with more than one SCO: Moodle's player breaks on it."""
    return [
        Diagnostic(
            name,
            None,
            None,
            f"this SCORM 2004 package has {scos} SCOs; Moodle (4.5) refuses Initialize (error "
            "104) for every SCO after the first when learners move with its table of contents, "
            "so their answers there are not recorded",
            "for Moodle, upload the .scorm12.zip package, or build SCORM 2004 with --sco course",
            "note",
            "moodle.multi-sco-2004",
        )
        for name, scos, _scored in _scorm_packages(course, options, "scorm2004")
        if scos > 1
    ]


def check_moodle_grade_method(course: Course, options: BuildOptions, targets: list[str]) -> list[Diagnostic]:
    """A note on each scored multi-SCO package: Moodle's default grading takes the best SCO."""
    out: list[Diagnostic] = []
    for ext in targets:
        for name, scos, scored in _scorm_packages(course, options, ext):
            if scos > 1 and scored:
                out.append(
                    Diagnostic(
                        name,
                        None,
                        None,
                        f"this {SCORM_EXTS[ext]} package has {scos} SCOs; Moodle's default Grading "
                        "method 'Highest grade' gives the learner the score of the best single "
                        "SCO, not of the course",
                        "set the activity's Grading method to 'Average grade' (the mean of the "
                        "SCOs that reported a score; unvisited ones do not count), or build with "
                        "--sco course for one course-weighted score",
                        "note",
                        "moodle.grade-method",
                    )
                )
    return out
