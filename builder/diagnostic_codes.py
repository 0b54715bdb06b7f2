"""The one registry of stable finding codes (``CP104``) and what each means.

Findings carry a short name (``Diagnostic.code``: ``unknown-key``, ``scorm.xsd``) that reads well in
the source; CI systems, editors and SARIF viewers need a code that never changes meaning. This
table maps each name to such a code and a one-line description. docs/diagnostics.md is generated
from it (``markdown_table``) and a test keeps the two equal; another test walks builder/ and fails
if any code a finding can carry is missing here.

Numbering: CP1xx reading the source files; CP2xx rules across the course (ids, outline, grading,
competences, session plans); CP3xx the Open edX OLX checks; CP4xx the SCORM checks; CP5xx the cmi5
checks; CP6xx advice about how an LMS treats a correct package; CP7xx the trainer's handbook. A
retired code is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    code: str
    """``CPnnn``: stable, never reused."""
    name: str
    """``Diagnostic.code`` as the checks write it; a name ending in ``.`` is a family (its prefix)."""
    summary: str


CODES: tuple[Code, ...] = (
    # --- CP1xx: reading the source files
    Code("CP100", "no-source", "The course source folder does not exist."),
    Code("CP101", "not-loaded", "The course could not be loaded (no finding says why; please report it)."),
    Code("CP102", "yaml-syntax", "A YAML file or block is not valid YAML."),
    Code("CP103", "duplicate-key", "The same key appears twice in one YAML mapping."),
    Code(
        "CP104", "unknown-key", "A key the format does not know (often a typo; the hint names the closest)."
    ),
    Code("CP105", "missing-key", "A required key is missing."),
    Code("CP106", "bad-value", "A value is not one of the allowed values, or has characters not allowed."),
    Code("CP107", "bad-id", "An id has characters that are not allowed (letters, digits, '.', '_', '-')."),
    Code(
        "CP108", "invalid.", "A value breaks a schema rule (wrong type, out of range…); the suffix names it."
    ),
    Code("CP109", "not-a-mapping", "A YAML file or block is not a mapping of keys."),
    Code("CP110", "yaml-alias", "YAML aliases (`*name`) are refused."),
    Code("CP111", "yaml-depth", "YAML values are nested too deeply."),
    Code("CP112", "bad-char", "A control character no output format can carry."),
    Code("CP113", "encoding", "A file, or a file name, is not valid UTF-8."),
    Code("CP114", "too-large", "A source file is larger than the limit."),
    Code("CP115", "unreadable", "A file cannot be read."),
    Code("CP116", "missing-file", "A file or folder that is referenced or required does not exist."),
    Code("CP117", "symlink", "A symbolic link in the course source."),
    Code("CP118", "unsafe-path", "A path that is absolute, leaves the course source or cannot be used."),
    Code("CP119", "no-front-matter", "A unit file does not start with its `---` front matter."),
    Code("CP120", "unknown-component", "A fenced block whose name is close to a component name (a typo)."),
    Code("CP121", "nested-component", "A component block inside a list or quote, which is not read."),
    Code("CP122", "bad-olx-block", "A ```olx escape-hatch block is not acceptable OLX."),
    Code("CP123", "bad-transcript", "A video transcript that is not an .srt file."),
    Code("CP124", "bad-link", "A link that is neither a web address nor a file in static/."),
    Code("CP125", "not-static", "A file used by the course is not inside static/."),
    Code("CP126", "bad-asset-name", "A static file name Open edX would rewrite."),
    Code("CP127", "asset-collision", "Two static files that publish under the same name."),
    Code("CP128", "static-script", "A static HTML/SVG file with script, run on the LMS's own web address."),
    Code("CP129", "misplaced-unit", "A unit file outside a subsection folder (NN-section/NN-subsection/)."),
    Code("CP130", "yaml-bool", "YAML read No, yes or on as true/false in a text field: quote it."),
    Code("CP131", "bad-date", "A date not in ISO 8601 form (the hint rewrites the author's date)."),
    Code("CP132", "no-alt-text", "An image without alt text (accessibility)."),
    Code("CP133", "raw-html", "HTML pasted into Markdown, shown to learners as text."),
    Code("CP134", "i18n.untranslated", "A learner-visible string without a current translation."),
    Code("CP135", "missing-unit", "A link to a unit file that does not exist (the hint names the closest)."),
    Code("CP136", "split-unit-link", "A link to a unit in another package of a --split section build."),
    # --- CP2xx: rules across the course
    Code("CP200", "duplicate-id", "An id used twice where ids must be unique."),
    Code("CP201", "unknown-outcome", "An outcome id that is not in the competence map."),
    Code("CP202", "grading", "The grading policy is inconsistent (weights, grader types, `format:`)."),
    Code("CP203", "empty", "An outline, section or subsection with nothing in it."),
    Code("CP204", "unexpected-entry", "A file or folder where the outline expects something else."),
    Code("CP205", "no-prefix", "An outline entry without its NN- order prefix."),
    Code("CP206", "duplicate-prefix", "Two outline entries with the same order prefix."),
    Code("CP207", "unlisted-chapter", "A handbook chapter file not listed in handbook/index.yaml."),
    Code("CP208", "session-minutes", "A session plan whose activities do not add up to its duration."),
    Code("CP209", "missing-session-plan", "A subsection without session.yaml (no plan in the handbook)."),
    Code("CP210", "ulo-without-outcomes", "A unit of learning outcomes with no outcomes."),
    Code("CP211", "unit-without-outcomes", "A course unit that lists no learning outcomes."),
    Code("CP212", "outcome-without-criteria", "A learning outcome without assessment criteria."),
    Code("CP213", "outcome-not-taught", "A learning outcome no unit teaches."),
    Code("CP214", "outcome-not-assessed", "A learning outcome no problem assesses."),
    Code("CP215", "ecf-eqf-mismatch", "An e-CF proficiency level inconsistent with the unit's EQF level."),
    Code("CP216", "scorm12-objective-id", "An outcome id SCORM 1.2 cannot carry as an objective id."),
    Code("CP217", "moodle-idnumber-too-long", "An id longer than Moodle's competency idnumber allows."),
    Code("CP218", "moodle-shortname-too-long", "A title longer than Moodle's competency shortname allows."),
    Code("CP219", "openedx-duplicate-tag-value", "Two tag values that Open edX treats as the same."),
    # --- CP3xx: Open edX OLX checks on the built tarball
    Code("CP300", "olxcleaner.", "olxcleaner reported a problem in the OLX; the suffix is its error name."),
    Code("CP301", "olxcleaner.crash", "olxcleaner crashed on the OLX (please report it)."),
    Code("CP302", "olx.course-xml-count", "The tarball does not hold exactly one course.xml."),
    Code("CP303", "olx.course-pointer", "course.xml is not a pointer to the course run."),
    Code("CP304", "olx.pointer-unresolved", "An OLX pointer names a file that is not in the tarball."),
    Code("CP305", "olx.pointer-attributes", "An OLX pointer element carries attributes Studio would drop."),
    Code("CP306", "olx.html-file-missing", "An html component's .html file is missing."),
    Code("CP307", "olx.static-missing", "A /static/ reference to a file that is not in the tarball."),
    Code("CP308", "olx.video-transcripts", "A video's transcripts are malformed or missing."),
    Code(
        "CP309", "olx.video-default-youtube", "A video without YouTube that would fall back to a default id."
    ),
    Code("CP310", "olx.learning-outcomes-missing", "A unit's learning outcomes are missing from its OLX."),
    Code("CP311", "olx.tags-missing", "tags.csv is missing from the tarball."),
    Code("CP312", "olx.tags-header", "tags.csv does not start with the columns Name,Type,ID."),
    Code("CP313", "olx.tags-export-id", "A tags.csv column is not a valid taxonomy export_id."),
    Code("CP314", "olx.tags-row", "A tags.csv row has the wrong number of cells."),
    Code("CP315", "olx.tags-id", "A tags.csv row names no block of the course."),
    Code("CP316", "olx.tags-value", "A tags.csv value is not a value of its taxonomy."),
    Code("CP317", "olx.tags-count", "A block carries more tags than Open edX allows."),
    Code("CP318", "olx.tags-mismatch", "tags.csv and the competence map disagree."),
    # --- CP4xx: SCORM checks on the built packages
    Code("CP400", "scorm.no-manifest", "imsmanifest.xml is not at the package root."),
    Code("CP401", "scorm.xml", "imsmanifest.xml is not well-formed XML."),
    Code("CP402", "scorm.xsd", "imsmanifest.xml breaks the IMS/ADL XSDs."),
    Code(
        "CP403",
        "scorm.xsd-unavailable",
        "The manifest could not be validated: the vendored XSDs are missing.",
    ),
    Code("CP404", "scorm.prefix", "A manifest element or attribute uses a namespace prefix LMSs reject."),
    Code("CP405", "scorm.namespace", "The manifest root is not in the IMS CP namespace."),
    Code(
        "CP406", "scorm.schemaversion", "schema/schemaversion are not exactly what the SCORM version needs."
    ),
    Code("CP407", "scorm.duplicate-id", "A manifest identifier is used twice."),
    Code("CP408", "scorm.unresolved-ref", "A manifest reference names no organization or resource."),
    Code("CP409", "scorm.empty-item", "A leaf item without identifierref."),
    Code("CP410", "scorm.title-length", "A title that is empty or longer than 255 characters."),
    Code("CP411", "scorm.moodle-title-space", "A title in which Moodle would drop a space."),
    Code("CP412", "scorm.scormtype", "A resource's adlcp scormType is missing, misspelt or invalid."),
    Code("CP413", "scorm.unsafe-path", "A file reference that leaves the package or is absolute."),
    Code("CP414", "scorm.missing-file", "A referenced file that is not in the package."),
    Code("CP415", "scorm.not-listed", "A package file or resource href not listed as a <file>."),
    Code("CP416", "scorm.objective-id", "An objective or taxon id the SCORM data model cannot carry."),
    Code("CP417", "scorm.masteryscore", "A masteryscore that is not a number from 0 to 100."),
    Code("CP418", "scorm.lom", "A LOM metadata file that is malformed."),
    # --- CP5xx: cmi5 checks on the built package
    Code("CP500", "cmi5", "cmi5.xml breaks a rule of the cmi5 course structure."),
    Code("CP501", "cmi5.missing", "No cmi5.xml at the zip root."),
    Code("CP502", "cmi5.xml", "cmi5.xml is not well-formed XML."),
    Code("CP503", "cmi5.root", "The root of cmi5.xml is not courseStructure."),
    Code("CP504", "cmi5.namespace", "An element outside the cmi5 namespace where cmi5 elements belong."),
    Code("CP505", "cmi5.order", "cmi5 elements out of their required order."),
    Code("CP506", "cmi5.id", "A block or AU without an id."),
    Code("CP507", "cmi5.iri", "An id or activityType that is not a fully qualified IRI."),
    Code("CP508", "cmi5.unique", "An id used twice in cmi5.xml."),
    Code("CP509", "cmi5.langstring", "A title/description that is not a list of langstrings."),
    Code("CP510", "cmi5.lang", "A langstring lang that is not a language tag."),
    Code("CP511", "cmi5.empty", "An empty langstring, or a block with no AU or block."),
    Code("CP512", "cmi5.idref", "An objective reference that names no declared objective."),
    Code("CP513", "cmi5.attribute", "An AU attribute cmi5 does not define."),
    Code("CP514", "cmi5.moveOn", "An AU moveOn value cmi5 does not define."),
    Code("CP515", "cmi5.launchMethod", "An AU launchMethod value cmi5 does not define."),
    Code("CP516", "cmi5.mastery", "An AU masteryScore that is not a decimal in [0, 1]."),
    Code("CP517", "cmi5.url", "An AU url that is empty, leaves the package or names no file in it."),
    # --- CP6xx: advice about how an LMS treats a correct package
    Code("CP600", "openedx.self-paced-due", "Open edX ignores subsection due dates in a self-paced course."),
    Code("CP601", "moodle.multi-sco-2004", "Moodle's SCORM 2004 player loses data from multi-SCO packages."),
    Code(
        "CP602", "moodle.grade-method", "Moodle's default grading method takes the best SCO, not the course."
    ),
    # --- CP7xx: the trainer's handbook
    Code("CP700", "typst", "The trainer's handbook could not be typeset."),
)

BY_NAME: dict[str, Code] = {c.name: c for c in CODES}
UNKNOWN = "CP000"
"""Carried by a finding whose name is not registered; the registry test keeps builder/ free of them."""


def lookup(name: str) -> Code | None:
    """The entry for a finding's name: exact, else its family (``olxcleaner.X`` → ``olxcleaner.``)."""
    if name in BY_NAME:
        return BY_NAME[name]
    for family in (c for c in CODES if c.name.endswith(".")):
        if name.startswith(family.name):
            return family
    return None


def stable_code(name: str) -> str:
    found = lookup(name)
    return found.code if found else UNKNOWN


def markdown_table() -> str:
    """The table in docs/diagnostics.md (a test keeps the doc equal to this)."""
    rows = ["| code | name | what it means |", "| --- | --- | --- |"]
    for c in CODES:
        name = f"`{c.name}*`" if c.name.endswith(".") else f"`{c.name}`"
        rows.append(f"| {c.code} | {name} | {c.summary} |")
    return "\n".join(rows) + "\n"
