"""Competence-map exports: what an admin imports so that outcome tags and objectives mean something.

LMSs do not learn a competence framework from a course package: Open edX drops tags of unknown
taxonomies and Moodle never links competencies from a SCORM zip. So the map ships as three
importable files next to the packages (docs/competence-map.md tells admins what to do with each):

- ``<slug>.case.json`` — an IMS CASE 1.0 CFPackage, the canonical machine-readable map (OpenSALT,
  CaSS). Identifiers are UUIDv5 of the node URIs, so every rebuild yields the same ids.
- ``<slug>.moodle-competencies.csv`` — Moodle's ``tool_lpimportcsv`` format.
- ``<slug>.openedx-taxonomy.csv`` — the Open edX taxonomy, from ``builder.taxonomy`` (the same
  values the OLX target writes into ``tags-v1``/``tags.csv``).

All three are byte-for-byte reproducible: no wall clock (``lastChangeDateTime`` comes from the
framework or the course's ``source_epoch``), fixed order, ``\\n`` line ends, UTF-8.
"""

from __future__ import annotations

import csv
import html
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from builder import csvsafe
from builder.model import CompetenceMap, Course, LearningUnit, Outcome
from builder.targets import BuildOptions, Output
from builder.taxonomy import taxonomy_rows

CATEGORY_LABELS: dict[str, str] = {
    "knowledge": "Knowledge",
    "skills": "Skills",
    "responsibility_autonomy": "Responsibility and autonomy",
}
"""EQF 2017 column names, used as CASE item types and in human-readable notes."""

UNIT_TYPE = "Unit of learning outcomes"
CRITERION_TYPE = "Assessment criterion"
ITEM_TYPES: tuple[tuple[str, str, str], ...] = (
    ("unit", UNIT_TYPE, "An ECVET unit of learning outcomes: a coherent, assessable set of outcomes."),
    ("knowledge", CATEGORY_LABELS["knowledge"], "A learning outcome in the EQF knowledge column."),
    ("skills", CATEGORY_LABELS["skills"], "A learning outcome in the EQF skills column."),
    (
        "responsibility_autonomy",
        CATEGORY_LABELS["responsibility_autonomy"],
        "A learning outcome in the EQF responsibility-and-autonomy column.",
    ),
    ("assessment-criterion", CRITERION_TYPE, "A criterion by which an assessor judges the outcome."),
)
"""(key, title, description) of the CFItemTypes the package defines."""

# --------------------------------------------------------------------------- Moodle layout
# Column order and header texts of tool_lpimportcsv, as read in moodle/moodle:
#   admin/tool/lpimportcsv/classes/framework_importer.php  (list_required_headers(), read_mapping_data():
#       columns are read by position 0..13 unless the admin remaps them)
#   admin/tool/lpimportcsv/lang/en/tool_lpimportcsv.php     (the English header strings)
#   admin/tool/lpimportcsv/classes/framework_exporter.php   (framework row first, then competencies;
#       competency rows carry rule outcome 0 and rule config "null")
MOODLE_HEADERS: tuple[str, ...] = (
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
)
MOODLE_TEXT_MAX = 100
"""The importer passes ID number and Short name through ``shorten_text(…, 100)``."""
MOODLE_FORMAT_HTML = "1"
MOODLE_TAXONOMY = "competency,outcome"
"""One term per level: units of learning outcomes, then outcomes (core_competency TAXONOMY_* terms)."""
MOODLE_SCALE = "Not yet competent,Competent"
MOODLE_SCALE_CONFIG = json.dumps(
    [
        {"scaleid": "0"},
        {"id": 1, "scaledefault": 0, "proficient": 0},
        {"id": 2, "scaledefault": 1, "proficient": 1},
    ],
    separators=(",", ":"),
)
"""The importer rewrites the first element's scaleid; Moodle needs one default and one proficient item."""


def render(course: Course, options: BuildOptions) -> list[Output]:
    cmap = course.competences
    slug = course.stem
    files = {
        f"{slug}.case.json": case_json(course),
        f"{slug}.moodle-competencies.csv": moodle_csv(cmap),
        f"{slug}.openedx-taxonomy.csv": openedx_taxonomy_csv(cmap),
    }
    summary = f"{len(cmap.units)} units, {len(cmap.outcomes())} outcomes"
    return [Output(name, "file", {name: data}, summary) for name, data in files.items()]


# --------------------------------------------------------------------------- shared helpers


def timestamp(course: Course) -> str:
    """CASE ``lastChangeDateTime``: the framework's own date, else the source epoch; ISO 8601 UTC."""
    when = course.competences.framework.last_changed
    if when is None:
        when = datetime.fromtimestamp(course.source_epoch, tz=UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shorten(text: str, limit: int = MOODLE_TEXT_MAX) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def outcome_notes(cmap: CompetenceMap, unit: LearningUnit, outcome: Outcome) -> list[str]:
    """Facts about an outcome that CASE 1.0 has no field for; shared by the CASE and Moodle exports."""
    notes = [f"{CATEGORY_LABELS[outcome.category]} outcome of {unit.id}, EQF level {unit.eqf_level}."]
    if outcome.ecf:
        edition = cmap.framework.ecf_edition or "e-CF"
        notes.append(f"e-CF ({edition}): {outcome.ecf.code} at proficiency level e-{outcome.ecf.level}.")
    if outcome.esco:
        notes.append("ESCO: " + ", ".join(outcome.esco) + ".")
    return notes


def unit_facts(unit: LearningUnit) -> str:
    return (
        f"EQF level {unit.eqf_level}; {_num(unit.ecvet_points)} ECVET {_plural(unit.ecvet_points, 'point')}; "
        f"{_num(unit.hours)} {_plural(unit.hours, 'hour')} of notional learning time."
    )


def _plural(value: float, word: str) -> str:
    return word if value == 1 else word + "s"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --------------------------------------------------------------------------- CASE 1.0


def case_package(course: Course) -> dict[str, Any]:
    """The CFPackage as a dict in CASE's own key order (document, items, associations, definitions)."""
    cmap = course.competences
    fw = cmap.framework
    when = timestamp(course)
    doc_link = {"title": fw.title, "identifier": cmap.uuid(), "uri": cmap.uri()}

    item_types = {
        key: {
            "identifier": cmap.uuid(f"item-types/{key}"),
            "uri": cmap.uri(f"item-types/{key}"),
            "title": title,
            "description": description,
            "hierarchyCode": key,
            "typeCode": key,
            "lastChangeDateTime": when,
        }
        for key, title, description in ITEM_TYPES
    }

    doc_notes = [f"Profile: {fw.profile}."]
    if fw.licence:
        doc_notes.append(f"Licence: {fw.licence}.")
    if fw.ecf_edition:
        doc_notes.append(f"e-CF references use {fw.ecf_edition}.")
    doc_notes.append(f"Framework id (human code): {fw.id}.")
    document: dict[str, Any] = {
        "identifier": cmap.uuid(),
        "uri": cmap.uri(),
        "creator": course.org,
        "title": fw.title,
        "lastChangeDateTime": when,
        "description": fw.description or fw.title,
        "subject": [fw.profile],
        "language": fw.language,
        "version": fw.version,
        "notes": " ".join(doc_notes),
    }

    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []

    def item(node_id: str, type_key: str, statement: str, code: str, position: int, notes: str) -> dict:
        itype = item_types[type_key]
        entry: dict[str, Any] = {
            "identifier": cmap.uuid(node_id),
            "fullStatement": statement,
            "CFItemType": itype["title"],
            "CFItemTypeURI": {
                "title": itype["title"],
                "identifier": itype["identifier"],
                "uri": itype["uri"],
            },
            "uri": cmap.uri(node_id),
            "humanCodingScheme": code,
            "listEnumeration": str(position),
            "language": fw.language,
            "lastChangeDateTime": when,
            "CFDocumentURI": doc_link,
        }
        if notes:
            entry["notes"] = notes
        items.append(entry)
        return {"title": code, "identifier": entry["identifier"], "uri": entry["uri"]}

    def associate(
        kind: str, origin: dict, origin_id: str, dest: dict, dest_key: str, seq: int | None
    ) -> None:
        key = f"associations/{origin_id}/{kind}/{quote(dest_key, safe='.-_')}"
        assoc: dict[str, Any] = {
            "identifier": cmap.uuid(key),
            "associationType": kind,
            "uri": cmap.uri(key),
            "originNodeURI": origin,
            "destinationNodeURI": dest,
            "lastChangeDateTime": when,
            "CFDocumentURI": doc_link,
        }
        if seq is not None:
            assoc["sequenceNumber"] = seq
        associations.append(assoc)

    for u_pos, unit in enumerate(cmap.units, start=1):
        notes = unit_facts(unit) + (f" {unit.description}" if unit.description else "")
        unit_link = item(unit.id, "unit", unit.title, unit.id, u_pos, notes)
        associate("isChildOf", unit_link, unit.id, doc_link, "document", u_pos)
        for o_pos, outcome in enumerate(unit.outcomes, start=1):
            o_link = item(
                outcome.id,
                outcome.category,
                outcome.statement,
                outcome.id,
                o_pos,
                " ".join(outcome_notes(cmap, unit, outcome)),
            )
            associate("isChildOf", o_link, outcome.id, unit_link, unit.id, o_pos)
            for c_pos, criterion in enumerate(outcome.assessment_criteria, start=1):
                c_id = f"{outcome.id}/criteria/{c_pos}"
                c_link = item(c_id, "assessment-criterion", criterion, f"{outcome.id}.AC{c_pos}", c_pos, "")
                associate("isChildOf", c_link, c_id, o_link, outcome.id, c_pos)
            for esco_uri in outcome.esco:
                # An outcome statement is narrower than an ESCO transversal skill, so the honest
                # link is isRelatedTo (not exactMatchOf); the ESCO concept is an external node.
                *_, kind, concept = ["", "concept", *esco_uri.rstrip("/").split("/")]
                dest = {"title": f"ESCO {kind} {concept}", "identifier": concept, "uri": esco_uri}
                associate("isRelatedTo", o_link, outcome.id, dest, esco_uri, None)

    return {
        "CFDocument": document,
        "CFItems": items,
        "CFAssociations": associations,
        "CFDefinitions": {"CFItemTypes": list(item_types.values())},
    }


def case_json(course: Course) -> bytes:
    text = json.dumps(case_package(course), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- Moodle


def _html_paragraphs(*paragraphs: str) -> str:
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs if p)


def moodle_rows(cmap: CompetenceMap) -> list[list[str]]:
    """Header, one framework row, then each unit followed by its outcomes (parents before children)."""
    fw = cmap.framework
    rows: list[list[str]] = [list(MOODLE_HEADERS)]
    framework_desc = _html_paragraphs(
        fw.description,
        f"Profile: {fw.profile}. Version {fw.version}." + (f" Licence: {fw.licence}." if fw.licence else ""),
    )
    rows.append(
        [
            "",
            fw.id,
            shorten(fw.title),
            framework_desc,
            MOODLE_FORMAT_HTML,
            MOODLE_SCALE,
            MOODLE_SCALE_CONFIG,
            "",
            "",
            "",
            "",
            "",
            "1",
            MOODLE_TAXONOMY,
        ]
    )
    for unit in cmap.units:
        rows.append(
            _competency_row("", unit.id, unit.title, _html_paragraphs(unit.description, unit_facts(unit)))
        )
        for outcome in unit.outcomes:
            desc = _html_paragraphs(outcome.statement)
            if outcome.assessment_criteria:
                desc += "<p>Assessment criteria:</p><ul>"
                desc += "".join(
                    f"<li>{html.escape(c, quote=False)}</li>" for c in outcome.assessment_criteria
                )
                desc += "</ul>"
            desc += _html_paragraphs(*outcome_notes(cmap, unit, outcome))
            rows.append(_competency_row(unit.id, outcome.id, f"{outcome.id} {outcome.statement}", desc))
    return rows


def _competency_row(parent: str, idnumber: str, name: str, description: str) -> list[str]:
    # Rule outcome 0 and rule config "null" are what Moodle's own exporter writes for "no rule".
    return [
        parent,
        idnumber,
        shorten(name),
        description,
        MOODLE_FORMAT_HTML,
        "",
        "",
        "",
        "0",
        "null",
        "",
        "",
        "0",
        "",
    ]


def moodle_csv(cmap: CompetenceMap) -> bytes:
    return _csv(moodle_rows(cmap))


# --------------------------------------------------------------------------- Open edX


def openedx_taxonomy_csv(cmap: CompetenceMap) -> bytes:
    """``id,value,parent_id`` (openedx_tagging's import template), rows from ``builder.taxonomy``."""
    return _csv([["id", "value", "parent_id"], *[list(row) for row in taxonomy_rows(cmap)]])


def _csv(rows: list[list[str]]) -> bytes:
    """Every cell escaped against spreadsheet formulas (``builder.csvsafe``)."""
    return csvsafe.dumps(rows, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).encode("utf-8")
