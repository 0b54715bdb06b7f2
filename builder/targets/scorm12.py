"""SCORM 1.2 packages: the safest choice for Moodle, which passes the ADL 1.2 conformance tests.

Competence tags live in inline ``imsmd`` LOM (validated by the 1.2 XSDs) and, at runtime, in
``cmi.objectives`` with the outcome id as CMIIdentifier. See ``scorm_common`` for the layout.
"""

from __future__ import annotations

from builder.model import Course
from builder.targets import BuildOptions, Output
from builder.targets.scorm_common import Flavor, render_packages
from builder.targets.scorm_common import prepare as prepare  # shared by the flavours: before a fork


def render(course: Course, options: BuildOptions) -> list[Output]:
    return render_packages(course, options, Flavor("1.2"))
