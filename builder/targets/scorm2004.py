"""SCORM 2004 (3rd or 4th edition) packages, for LMSs with full sequencing (SCORM Cloud, ILIAS…).

Each unit item declares its outcomes as ``imsss:objective`` with the outcome URI as objectiveID,
which the SCO reuses as ``cmi.objectives.n.id``. LOM goes to ``metadata/*.xml`` via
``adlcp:location`` because the LOM XSDs are not available to validate inline metadata.
"""

from __future__ import annotations

from builder.model import Course
from builder.targets import BuildOptions, Output
from builder.targets.scorm_common import Flavor, render_packages
from builder.targets.scorm_common import prepare as prepare  # shared by the flavours: before a fork


def render(course: Course, options: BuildOptions) -> list[Output]:
    return render_packages(course, options, Flavor("2004", options.scorm_edition))
