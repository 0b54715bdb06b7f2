"""cmi5 course packages: ``cmi5.xml`` plus one assignable unit (AU) per unit, for xAPI LMSs.

cmi5 (the xAPI profile for LMS-launched content) is what current LMSs offer beside SCORM: Moodle
through the *cmi5 launch* activity plugin (``mod_cmi5launch``), SCORM Cloud, Cornerstone, Docebo.
The zip holds, per cmi5 spec (quartz) §13–14::

    cmi5.xml                       the course structure, at the root
    sco/<unit id>.html             one AU page per unit (the same pages as the SCORM packages)
    shared/coursepack.{js,css}     the runtime: quiz engine + cmi5 adapter + standalone fallback
    shared/captions/, static/      as in the SCORM packages

Structure: the course's sections and subsections are nested ``block``s, each unit an ``au``.
Identifiers are IRIs under the competence map's ``base_uri`` (``<base>/courses/<slug>/…``), and
``objectives`` are the map's outcomes with exactly the IRIs of the CASE export and of the SCORM
2004 objectiveIDs (``CompetenceMap.uri``), so an LMS or LRS can join the three.

Decisions (documented in the README):

- ``moveOn``: ``CompletedOrPassed`` for a unit with problems, ``Completed`` for one without; the
  AU sends *completed* once every problem is answered (on opening, without problems), so a unit
  counts once it was worked through, and *passed* as soon as, from then on, the score reaches the
  mastery score (a retry may get it there later in the session).
- ``masteryScore``: the course's ``pass_cutoff`` (already scaled 0–1), on assessed units only.
- ``launchMethod="AnyWindow"``: the AU pages never navigate themselves (no ``returnURL`` exit
  button) and work framed or in a window, so the LMS may choose; Moodle's plugin and SCORM Cloud
  both frame or pop up as configured.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from builder.archive import Member
from builder.cache import course_context, outline_facts, piece
from builder.model import Course, Section, Unit
from builder.targets import BuildOptions, Output
from builder.targets.scorm_common import SCO_DIR, Flavor, build_package, truncate_title
from builder.targets.scorm_common import prepare as prepare  # shared with SCORM: before a fork
from builder.templates import environment, render_bytes

NAMESPACE = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
"""The CourseStructure target namespace of cmi5 v1 (quartz)."""
STRUCTURE = "cmi5.xml"
ACTIVITY_TYPE = "http://adlnet.gov/expapi/activities/lesson"
LAUNCH_METHOD = "AnyWindow"
TITLE_MAX = 255
MOVE_ON_ASSESSED = "CompletedOrPassed"
MOVE_ON_UNASSESSED = "Completed"
KEEP_PREFIXES = (f"{SCO_DIR}/", "shared/", "static/")
"""What the AU pages need from the SCORM page builder; manifests, LOM and control XSDs stay out."""

MoveOn = Literal["Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"]


@dataclass
class Objective:
    id: str
    title: str
    description: str


@dataclass
class Node:
    """A ``block`` (children set) or an ``au`` (url set) of the course structure."""

    kind: Literal["block", "au"]
    id: str
    title: str
    description: str
    children: list[Node] = field(default_factory=list)
    url: str = ""
    move_on: MoveOn = "NotApplicable"
    mastery_score: str = ""
    objectives: list[str] = field(default_factory=list)
    launch_method: str = LAUNCH_METHOD
    activity_type: str = ACTIVITY_TYPE


def course_iri(course: Course) -> str:
    """``<base_uri>/courses/<slug>``: stable across builds and runs of the same course."""
    return course.competences.uri(f"courses/{quote(course.slug, safe='')}")


def block_iri(course: Course, *ids: str) -> str:
    return course_iri(course) + "/blocks/" + "/".join(quote(i, safe="") for i in ids)


def au_iri(course: Course, unit: Unit) -> str:
    return course_iri(course) + "/units/" + quote(unit.id, safe="")


def mastery_text(cutoff: float) -> str:
    """A scaled score as cmi5 wants it: a decimal in [0, 1] with at most 4 decimal places."""
    text = f"{cutoff:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _objectives(course: Course, units: list[Unit]) -> list[Objective]:
    """The outcomes the package's units teach or assess, in competence-map order."""
    used = {o for u in units for o in u.all_outcomes()}
    cmap = course.competences
    out = []
    for outcome in cmap.outcomes():
        if outcome.id not in used:
            continue
        description = outcome.statement
        if outcome.assessment_criteria:
            description += "\n" + "\n".join(f"- {c}" for c in outcome.assessment_criteria)
        out.append(
            Objective(
                id=cmap.uri(outcome.id),
                title=truncate_title(f"{outcome.id} {outcome.statement}", TITLE_MAX),
                description=description,
            )
        )
    return out


def _au(course: Course, unit: Unit) -> Node:
    assessed = bool(unit.problems)
    return Node(
        kind="au",
        id=au_iri(course, unit),
        title=truncate_title(unit.title, TITLE_MAX),
        description=truncate_title(unit.title, TITLE_MAX),
        url=f"{SCO_DIR}/{unit.id}.html",
        move_on=MOVE_ON_ASSESSED if assessed else MOVE_ON_UNASSESSED,
        mastery_score=mastery_text(course.grading.pass_cutoff) if assessed else "",
        objectives=[course.competences.uri(o) for o in unit.all_outcomes()],
    )


def _section_block(course: Course, section: Section) -> Node:
    return Node(
        kind="block",
        id=block_iri(course, section.id),
        title=truncate_title(section.title, TITLE_MAX),
        description=truncate_title(section.title, TITLE_MAX),
        children=[
            Node(
                kind="block",
                id=block_iri(course, section.id, ss.id),
                title=truncate_title(ss.title, TITLE_MAX),
                description=truncate_title(ss.title, TITLE_MAX),
                children=[_au(course, u) for u in ss.units],
            )
            for ss in section.subsections
        ],
    )


def course_structure(course: Course) -> bytes:
    """The ``cmi5.xml`` of the whole course."""

    def make() -> bytes:
        units = course.units()
        return render_bytes(
            environment("scorm_templates").get_template("cmi5.xml.j2"),
            namespace=NAMESPACE,
            lang=course.language,
            course_id=course_iri(course),
            title=course.title,
            description=course.short_description or course.title,
            objectives=_objectives(course, units),
            nodes=[_section_block(course, s) for s in course.sections],
        )

    return piece("cmi5-structure", lambda: (course_context(course), structure_facts(course)), make)


def structure_facts(course: Course) -> list[object]:
    """What the structure reads besides the course-level context (title, language, the map's
    base URI and outcomes, the pass cutoff): the outline's ids and titles, and per unit whether it
    has problems and which outcomes it teaches or assesses. Building the nodes and objectives and
    a repr of them, only to key them, cost ~0.04 s of every edit at 2,000 units."""
    return outline_facts(course, lambda u: [u.id, u.title, bool(u.problems), u.all_outcomes()])


def au_members(course: Course, options: BuildOptions) -> MutableMapping[str, Member]:
    """The AU pages and their shared files, built by the SCORM page builder with the cmi5 runtime.

    The pages are the SCORM 2004 unit SCOs (objective ids are the outcome IRIs there too); only
    the runtime script differs, and the SCORM-only files (manifest, LOM, XSDs) are left out.
    """
    (package,) = [
        build_package(
            course,
            BuildOptions(sco="unit", split="course", scorm_edition=options.scorm_edition),
            Flavor("2004", options.scorm_edition),
            course.sections,
            "unused",
            "",
            package_files=False,
        )
    ]
    members = package.members
    for name in [n for n in members if not n.startswith(KEEP_PREFIXES)]:
        del members[name]
    members.update(runtime_members())
    return members


def runtime_members() -> dict[str, Member]:
    from builder.targets.scorm_runtime import RUNTIME_SCRIPT, runtime_script

    return {RUNTIME_SCRIPT: runtime_script("cmi5")}


def render(course: Course, options: BuildOptions) -> list[Output]:
    members = au_members(course, options)
    members[STRUCTURE] = course_structure(course)
    n = len(course.units())
    summary = f"{n} AU{'s' if n != 1 else ''}, cmi5"
    return [Output(filename=f"{course.stem}.cmi5.zip", format="zip", members=members, summary=summary)]
