"""``coursepack check``: every check over the model and over the outputs built from it in memory.

The packages validated here are rendered by the same target code as ``build``, so a clean check
means the shipped archives are clean, not a look-alike.
"""

from __future__ import annotations

from collections.abc import Callable

from builder.diagnostics import Diagnostic
from builder.model import Course
from builder.targets import BuildOptions, renderer


def check_course(
    course: Course,
    options: BuildOptions,
    strict: bool = False,
    log: Callable[[str], None] = lambda _m: None,
) -> list[Diagnostic]:
    from builder.source.static import check_static
    from builder.validate.competences import check_competences
    from builder.validate.handbook import check_handbook
    from builder.validate.olx import check_olx
    from builder.validate.scorm import check_manifest

    diags: list[Diagnostic] = list(check_competences(course, strict=strict))
    log("competence map checked")
    diags += check_static(course)
    diags += check_handbook(course)
    log("handbook material checked")
    for output in renderer("olx")(course, options):
        diags += check_olx(output.members, course.competences)
    log("OLX checked with olxcleaner")
    for version in ("scorm12", "scorm2004"):
        edition = options.scorm_edition if version == "scorm2004" else None
        for output in renderer(version)(course, options):
            diags += check_manifest(output.members, version, edition, output=output.filename)
    log("SCORM manifests checked against the XSDs")
    if strict:
        diags = [Diagnostic(d.file, d.line, d.column, d.message, d.hint, "error", d.code) for d in diags]
    return diags
