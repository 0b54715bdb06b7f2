"""The competence exports, checked against the formats' own definitions rather than our code.

- CASE: required fields, UUID pattern and association enum as in the CASE 1.0 CFPackage JSON Schema
  (opensalt/opensalt:config/schema/case-v1p0-cfpackage-schema.json).
- Moodle: the column order of ``framework_importer::list_required_headers()`` / ``read_mapping_data()``
  with the English strings of ``lang/en/tool_lpimportcsv.php``, and the importer's tree building
  (``add_children`` matches ``Parent ID number`` to ``ID number``; a framework row is one whose
  "Is framework" cell is truthy in PHP) — moodle/moodle:admin/tool/lpimportcsv/classes/framework_importer.php.
- Open edX: ``id,value,parent_id`` with parents earlier and unique ids/values
  (openedx/openedx-learning:openedx_tagging/core/tagging/import_export/template.csv).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from builder import taxonomy
from builder.model import Course, EcfRef
from builder.targets import BuildOptions, Output
from builder.targets.competences import render
from tests.factories import make_course

# --------------------------------------------------------------------------- format facts (read upstream)

CASE_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[8-9a-b][0-9a-f]{3}-[0-9a-f]{12}$")
CASE_TOP_LEVEL = {"CFDocument", "CFItems", "CFAssociations", "CFDefinitions", "CFRubrics"}
CASE_REQUIRED = {
    "CFDocument": {"identifier", "uri", "creator", "title", "lastChangeDateTime"},
    "CFItem": {"identifier", "fullStatement", "uri", "lastChangeDateTime"},
    "CFAssociation": {
        "identifier",
        "associationType",
        "uri",
        "originNodeURI",
        "destinationNodeURI",
        "lastChangeDateTime",
    },
    "CFItemType": {"identifier", "uri", "title", "hierarchyCode", "lastChangeDateTime"},
}
CASE_ASSOCIATION_TYPES = {
    "isChildOf",
    "isPeerOf",
    "isPartOf",
    "exactMatchOf",
    "precedes",
    "isRelatedTo",
    "replacedBy",
    "exemplar",
    "hasSkillLevel",
}
LINK_KEYS = {"title", "identifier", "uri"}

# list_required_headers() order, each get_string() resolved through lang/en/tool_lpimportcsv.php.
MOODLE_COLUMNS = [
    "Parent ID number",  # parentidnumber
    "ID number",  # idnumber
    "Short name",  # shortname
    "Description",  # description
    "Description format",  # descriptionformat
    "Scale values",  # scalevalues
    "Scale configuration",  # scaleconfiguration
    "Rule type (optional)",  # ruletype
    "Rule outcome (optional)",  # ruleoutcome
    "Rule config (optional)",  # ruleconfig
    "Cross-referenced competency ID numbers",  # relatedidnumbers
    "Exported ID (optional)",  # exportid
    "Is framework",  # isframework
    "Taxonomy",  # taxonomy
]
PARENT, IDNUMBER, SHORTNAME, DESCRIPTION, DESCFORMAT, SCALEVALUES, SCALECONFIG = range(7)
RULETYPE, RULEOUTCOME, RULECONFIG, RELATED, EXPORTID, ISFRAMEWORK, TAXONOMY = range(7, 14)
MOODLE_TAXONOMY_TERMS = {
    "behaviour",
    "competency",
    "concept",
    "domain",
    "indicator",
    "level",
    "outcome",
    "practice",
    "proficiency",
    "skill",
    "value",
}
"""core_competency\\competency_framework::TAXONOMY_* (competence.md §3.4)."""


def php_truthy(cell: str) -> bool:
    return cell not in ("", "0")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def course(tmp_path: Path) -> Course:
    """The factory course with the optional fields filled: criteria, e-CF, ESCO and markup."""
    c = make_course(tmp_path)
    k1, s1 = c.competences.units[0].outcomes
    k1.assessment_criteria = ["Names two reasons & gives an <example>.", "Explains the difference."]
    k1.ecf = EcfRef(code="A.3", level=2)
    k1.esco = ["http://data.europa.eu/esco/skill/d56e2c2f-3e01-4b76-a7bb-ecb6d430172f"]
    s1.esco = [
        "http://data.europa.eu/esco/skill/4707da90-9cfc-46ca-8de0-38a0b7bfb137",
        "http://data.europa.eu/esco/skill/d62d2b4c-a6f8-439e-8a1b-4f29ab5f2c47",
    ]
    c.competences.units[1].description = "Reports that <matter> & last."
    return c


def outputs(course: Course) -> dict[str, Output]:
    return {o.filename: o for o in render(course, BuildOptions())}


def member(course: Course, suffix: str) -> bytes:
    out = outputs(course)[f"{course.slug}.{suffix}"]
    assert out.format == "file"
    assert list(out.members) == [out.filename]
    data = out.members[out.filename]
    assert isinstance(data, bytes)
    return data


def case(course: Course) -> dict[str, Any]:
    return json.loads(member(course, "case.json").decode("utf-8"))


def moodle(course: Course) -> list[list[str]]:
    return list(csv.reader(io.StringIO(member(course, "moodle-competencies.csv").decode("utf-8"))))


def taxonomy_csv(course: Course) -> list[list[str]]:
    return list(csv.reader(io.StringIO(member(course, "openedx-taxonomy.csv").decode("utf-8"))))


# --------------------------------------------------------------------------- shared structure checks


def assert_case_valid(pkg: dict[str, Any]) -> None:
    """CASE 1.0 CFPackage rules that a consumer (OpenSALT) enforces on import."""
    assert set(pkg) <= CASE_TOP_LEVEL and "CFDocument" in pkg

    def check_uuid(value: str) -> None:
        assert CASE_UUID.match(value), value

    def check_uri(value: str) -> None:
        parsed = urlparse(value)
        assert parsed.scheme in ("http", "https") and parsed.netloc, value

    def check_time(value: str) -> None:
        assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None, value

    def check_link(link: dict[str, Any], uuid_identifier: bool) -> None:
        assert set(link) == LINK_KEYS, link
        assert all(isinstance(link[k], str) and link[k] for k in LINK_KEYS)
        check_uri(link["uri"])
        if uuid_identifier:
            check_uuid(link["identifier"])

    doc = pkg["CFDocument"]
    assert CASE_REQUIRED["CFDocument"] <= set(doc)
    check_uuid(doc["identifier"])
    check_uri(doc["uri"])
    check_time(doc["lastChangeDateTime"])

    nodes = {doc["identifier"]: doc["uri"]}
    for item in pkg.get("CFItems", []):
        assert CASE_REQUIRED["CFItem"] <= set(item), item
        check_uuid(item["identifier"])
        check_uri(item["uri"])
        check_time(item["lastChangeDateTime"])
        assert item["fullStatement"].strip()
        assert "educationLevel" not in item, "educationLevel is for grade levels, not EQF"
        for key in ("CFItemTypeURI", "CFDocumentURI"):
            if key in item:
                check_link(item[key], uuid_identifier=True)
        nodes[item["identifier"]] = item["uri"]
    assert len(nodes) == 1 + len(pkg.get("CFItems", [])), "identifiers must be unique"

    assoc_ids = set()
    for assoc in pkg.get("CFAssociations", []):
        assert CASE_REQUIRED["CFAssociation"] <= set(assoc), assoc
        check_uuid(assoc["identifier"])
        assoc_ids.add(assoc["identifier"])
        check_uri(assoc["uri"])
        check_time(assoc["lastChangeDateTime"])
        assert assoc["associationType"] in CASE_ASSOCIATION_TYPES
        if "sequenceNumber" in assoc:
            assert isinstance(assoc["sequenceNumber"], int)
        origin, dest = assoc["originNodeURI"], assoc["destinationNodeURI"]
        check_link(origin, uuid_identifier=False)
        check_link(dest, uuid_identifier=False)
        # The origin is always one of ours; a destination is ours or an external node.
        assert nodes.get(origin["identifier"]) == origin["uri"], origin
        if dest["identifier"] in nodes:
            assert nodes[dest["identifier"]] == dest["uri"]
        else:
            assert assoc["associationType"] != "isChildOf", "the hierarchy must stay inside the package"
            assert not dest["uri"].startswith(doc["uri"] + "/"), f"unresolved internal node {dest}"
    assert len(assoc_ids) == len(pkg.get("CFAssociations", []))

    for itype in pkg.get("CFDefinitions", {}).get("CFItemTypes", []):
        assert CASE_REQUIRED["CFItemType"] <= set(itype)
        check_uuid(itype["identifier"])


def assert_moodle_valid(rows: list[list[str]]) -> None:
    """What tool_lpimportcsv needs to rebuild the whole tree (framework_importer.php)."""
    assert rows[0] == MOODLE_COLUMNS
    body = rows[1:]
    assert all(len(r) == len(MOODLE_COLUMNS) for r in body)
    frameworks = [r for r in body if php_truthy(r[ISFRAMEWORK])]
    assert len(frameworks) == 1, "exactly one framework row, else 'File format is invalid.'"
    fw = frameworks[0]
    assert fw is body[0] and fw[PARENT] == ""
    terms = fw[TAXONOMY].split(",")
    assert set(terms) <= MOODLE_TAXONOMY_TERMS

    # Scale: compact items, and a configuration whose first element carries the scale id and whose
    # items mark at least one default and one proficient value (competency_framework validation).
    items = fw[SCALEVALUES].split(",")
    assert len(items) >= 2 and all(i.strip() for i in items)
    config = json.loads(fw[SCALECONFIG])
    assert "scaleid" in config[0]
    assert any(c.get("scaledefault") for c in config[1:])
    assert any(c.get("proficient") for c in config[1:])
    assert all(1 <= c["id"] <= len(items) for c in config[1:])

    seen: set[str] = {fw[IDNUMBER]}
    depth: dict[str, int] = {}
    for r in body[1:]:
        assert r[IDNUMBER] and r[SHORTNAME], "rows without both are skipped by the importer"
        assert len(r[IDNUMBER]) <= 100 and len(r[SHORTNAME]) <= 100, "shorten_text(…, 100) would cut them"
        assert r[IDNUMBER] not in seen, f"duplicate ID number {r[IDNUMBER]}"
        assert r[PARENT] == "" or r[PARENT] in depth, f"parent of {r[IDNUMBER]} is not an earlier row"
        depth[r[IDNUMBER]] = 1 if r[PARENT] == "" else depth[r[PARENT]] + 1
        seen.add(r[IDNUMBER])
        assert int(r[DESCFORMAT]) in (0, 1, 2, 4)  # FORMAT_MOODLE, HTML, PLAIN, MARKDOWN
        assert int(r[RULEOUTCOME] or 0) >= 0
        assert r[RULECONFIG] in ("", "null") or json.loads(r[RULECONFIG]) is not None
        assert r[TAXONOMY] == ""
    assert max(depth.values()) <= len(terms), "one taxonomy term per level"

    # The importer's add_children(): every competency must hang under the framework.
    children: dict[str, list[str]] = {}
    for r in body[1:]:
        children.setdefault(r[PARENT], []).append(r[IDNUMBER])
    reached, stack = set(), [""]
    while stack:
        for child in children.get(stack.pop(), []):
            reached.add(child)
            stack.append(child)
    assert reached == {r[IDNUMBER] for r in body[1:]}


def assert_taxonomy_valid(rows: list[list[str]]) -> None:
    assert rows[0] == ["id", "value", "parent_id"]
    seen_ids: set[str] = set()
    seen_values: set[str] = set()
    for ident, value, parent in rows[1:]:
        assert ident and value and ident not in seen_ids
        assert value.casefold() not in seen_values
        assert parent == "" or parent in seen_ids, f"{ident}: parent {parent!r} must come earlier"
        seen_ids.add(ident)
        seen_values.add(value.casefold())


# --------------------------------------------------------------------------- tests


def test_render_outputs_three_files(course: Course) -> None:
    outs = render(course, BuildOptions())
    assert [o.filename for o in outs] == [
        f"{course.slug}.case.json",
        f"{course.slug}.moodle-competencies.csv",
        f"{course.slug}.openedx-taxonomy.csv",
    ]
    assert {o.summary for o in outs} == {"2 units, 3 outcomes"}


def test_output_is_reproducible(course: Course) -> None:
    first = {o.filename: o.members for o in render(course, BuildOptions())}
    second = {o.filename: o.members for o in render(course, BuildOptions())}
    assert first == second


def test_case_package_is_valid(course: Course) -> None:
    assert_case_valid(case(course))


def test_case_identifiers_are_uuid5_of_the_node_uris(course: Course) -> None:
    pkg = case(course)
    base = "https://example.org/map"
    assert pkg["CFDocument"]["identifier"] == str(uuid.uuid5(uuid.NAMESPACE_URL, base))
    by_code = {i["humanCodingScheme"]: i for i in pkg["CFItems"]}
    for node in ("TM.U1", "TM.U1.K1", "TM.U1.S1", "TM.U2", "TM.U2.R1"):
        assert by_code[node]["uri"] == f"{base}/{node}"
        assert by_code[node]["identifier"] == str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/{node}"))
        assert uuid.UUID(by_code[node]["identifier"]).version == 5


def test_case_hierarchy_and_external_links(course: Course) -> None:
    pkg = case(course)
    doc_id = pkg["CFDocument"]["identifier"]
    code = {i["identifier"]: i["humanCodingScheme"] for i in pkg["CFItems"]}
    code[doc_id] = "<document>"
    child_of = {
        code[a["originNodeURI"]["identifier"]]: code[a["destinationNodeURI"]["identifier"]]
        for a in pkg["CFAssociations"]
        if a["associationType"] == "isChildOf"
    }
    assert child_of["TM.U1"] == child_of["TM.U2"] == "<document>"
    assert child_of["TM.U1.K1"] == child_of["TM.U1.S1"] == "TM.U1"
    assert child_of["TM.U2.R1"] == "TM.U2"
    criteria = [i for i in pkg["CFItems"] if i["CFItemType"] == "Assessment criterion"]
    assert [c["fullStatement"] for c in criteria] == course.competences.units[0].outcomes[
        0
    ].assessment_criteria
    assert all(child_of[c["humanCodingScheme"]] == "TM.U1.K1" for c in criteria)

    external = sorted(
        (code[a["originNodeURI"]["identifier"]], a["destinationNodeURI"]["uri"])
        for a in pkg["CFAssociations"]
        if a["associationType"] in ("isRelatedTo", "exactMatchOf")
    )
    expected = sorted((o.id, uri) for o in course.competences.outcomes() for uri in o.esco)
    assert external == expected


def test_case_carries_levels_in_notes_and_types(course: Course) -> None:
    items = {i["humanCodingScheme"]: i for i in case(course)["CFItems"]}
    assert items["TM.U1"]["CFItemType"] == "Unit of learning outcomes"
    assert "EQF level 5" in items["TM.U1"]["notes"] and "2 ECVET points" in items["TM.U1"]["notes"]
    assert "50 hours" in items["TM.U1"]["notes"]
    assert items["TM.U1.K1"]["CFItemType"] == "Knowledge"
    assert items["TM.U2.R1"]["CFItemType"] == "Responsibility and autonomy"
    assert "A.3" in items["TM.U1.K1"]["notes"] and "e-2" in items["TM.U1.K1"]["notes"]
    # JSON keeps the text as text: no HTML escaping in a JSON export.
    assert items["TM.U1.K1"]["fullStatement"] == course.competences.units[0].outcomes[0].statement


def test_case_time_comes_from_source_epoch_or_framework(course: Course) -> None:
    expected = datetime.fromtimestamp(course.source_epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pkg = case(course)
    stamps = {pkg["CFDocument"]["lastChangeDateTime"]}
    stamps |= {i["lastChangeDateTime"] for i in pkg["CFItems"] + pkg["CFAssociations"]}
    assert stamps == {expected}

    course.competences.framework.last_changed = datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
    assert case(course)["CFDocument"]["lastChangeDateTime"] == "2025-06-01T12:30:00Z"


def test_moodle_csv_layout(course: Course) -> None:
    rows = moodle(course)
    assert_moodle_valid(rows)
    fw = rows[1]
    assert fw[IDNUMBER] == "test-map" and fw[SHORTNAME] == "Test competence map"
    assert fw[TAXONOMY] == "competency,outcome"
    ids = [r[IDNUMBER] for r in rows[2:]]
    assert ids == ["TM.U1", "TM.U1.K1", "TM.U1.S1", "TM.U2", "TM.U2.R1"]
    parents = {r[IDNUMBER]: r[PARENT] for r in rows[2:]}
    assert parents == {
        "TM.U1": "",
        "TM.U1.K1": "TM.U1",
        "TM.U1.S1": "TM.U1",
        "TM.U2": "",
        "TM.U2.R1": "TM.U2",
    }


def test_moodle_description_is_escaped_html_with_full_statement(course: Course) -> None:
    rows = {r[IDNUMBER]: r for r in moodle(course)[1:]}
    k1 = rows["TM.U1.K1"]
    assert k1[DESCFORMAT] == "1"
    assert "when &gt; 1 check" in k1[DESCRIPTION]
    assert "&amp; gives an &lt;example&gt;" in k1[DESCRIPTION]
    assert "<example>" not in k1[DESCRIPTION]
    assert "Reports that &lt;matter&gt; &amp; last." in rows["TM.U2"][DESCRIPTION]


def test_moodle_long_statements_are_shortened_not_lost(course: Course) -> None:
    long = "Leads " + "a very long statement about many things " * 10 + "end."
    course.competences.units[0].outcomes[1].statement = long
    rows = {r[IDNUMBER]: r for r in moodle(course)[1:]}
    s1 = rows["TM.U1.S1"]
    assert len(s1[SHORTNAME]) <= 100 and s1[SHORTNAME].startswith("TM.U1.S1 Leads")
    assert " ".join(long.split()) in s1[DESCRIPTION]
    assert_moodle_valid(moodle(course))


def test_openedx_taxonomy_csv(course: Course) -> None:
    rows = taxonomy_csv(course)
    assert_taxonomy_valid(rows)
    # The values are exactly what the OLX target writes into tags-v1 / tags.csv.
    values = {r[0]: r[1] for r in rows[1:]}
    for o in course.competences.outcomes():
        assert values[o.id] == taxonomy.tag_value(o)
    assert {r[0]: r[2] for r in rows[1:] if r[2]} == {o.id: o.unit_id for o in course.competences.outcomes()}


def test_exports_of_sample_course(sample_course: Course) -> None:
    assert_case_valid(case(sample_course))
    assert_moodle_valid(moodle(sample_course))
    assert_taxonomy_valid(taxonomy_csv(sample_course))
    n_units = len(sample_course.competences.units)
    n_outcomes = len(sample_course.competences.outcomes())
    assert len(moodle(sample_course)) == 2 + n_units + n_outcomes
    assert len(taxonomy_csv(sample_course)) == 1 + n_units + n_outcomes
