"""``coursepack check`` rules for the trainer's handbook that span the whole course.

The reader already reports what is wrong inside one ``session.yaml`` (minutes that do not add up,
unknown outcomes). What is checked here is completeness: once a course has handbook material (a
``handbook/`` folder or any session plan), every subsection should have a session plan — a
warning, which ``--strict`` turns into an error. Courses that do not use the handbook are not
nagged.
"""

from __future__ import annotations

from builder.diagnostics import Diagnostic
from builder.model import Course


def uses_handbook(course: Course) -> bool:
    return course.handbook is not None or any(
        ss.session_plan for s in course.sections for ss in s.subsections
    )


def check_handbook(course: Course) -> list[Diagnostic]:
    if not uses_handbook(course):
        return []
    diags: list[Diagnostic] = []
    for section in course.sections:
        for ss in section.subsections:
            if ss.session_plan is not None:
                continue
            from builder.source.session_plans import FILE  # the reader: only to name what is missing

            file, _line = course.positions.get(ss.id, (f"subsection {ss.id}", 0))
            folder = file.rsplit("/", 1)[0] if "/" in file else file
            diags.append(
                Diagnostic(
                    f"{folder}/{FILE}",
                    None,
                    None,
                    f"subsection `{ss.id}` has no session plan, so the trainer's handbook has none for it",
                    f"add {FILE} beside subsection.yaml (see `coursepack docs source-format`)",
                    "warning",
                    "missing-session-plan",
                )
            )
    return diags
