"""The fast XSD pre-check (libxml2) and the reference validator (xmlschema) agree.

``check_manifest`` trusts libxml2 when it accepts a manifest and asks xmlschema otherwise. That is
only sound if libxml2 never accepts what xmlschema rejects: these tests break valid manifests in
many ways and compare the two verdicts, and the lines each validator blames.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from builder.resources.scorm_schemas import load_fast_schema, load_schema
from builder.validate import scorm
from builder.validate.scorm import check_manifest
from tests.validate.test_scorm_check import CASES_12, CASES_2004, Pairs, apply, package

XSD_CASES_12: list[tuple[str, Pairs]] = [
    ("unknown attribute on an ADL element", [("<adlcp:masteryscore>", "<adlcp:masteryscore bogus='1'>")]),
    ("unknown CP element", [("<title>Practice</title>", "<title>Practice</title><bogus/>")]),
    ("title twice", [("<title>Practice</title>", "<title>Practice</title><title>Again</title>")]),
    ("two organizations elements", [("<organizations ", "<organizations/><organizations ")]),
    ("LOM element out of its namespace",
     [("<imsmd:language>en</imsmd:language>", "<language>en</language>")]),
    ("unknown LOM element", [("<imsmd:language>en</imsmd:language>", "<imsmd:bogus>en</imsmd:bogus>")]),
    ("no identifier on an item", [('<item identifier="ITEM-u-practice" ', "<item ")]),
    ("resource type missing", [('type="webcontent"', "")]),
    ("identifier not an ID", [('identifier="ITEM-u-practice"', 'identifier="1 bad"')]),
    ("adlcp element at the wrong level",
     [("<schema>ADL SCORM<", "<adlcp:masteryscore>1</adlcp:masteryscore><schema>ADL SCORM<")]),
]  # fmt: skip

XSD_CASES_2004: list[tuple[str, Pairs]] = [
    ("unknown CP element", [("<title>Practice</title>", "<title>Practice</title><bogus/>")]),
    ("unknown sequencing element", [("<imsss:objectives>", "<imsss:objectives><imsss:bogus/>")]),
    ("satisfiedByMeasure not boolean", [('satisfiedByMeasure="true"', 'satisfiedByMeasure="yes"')]),
    ("no identifier on an item", [('<item identifier="ITEM-u-practice" ', "<item ")]),
    ("identifier not an ID", [('identifier="ITEM-u-practice"', 'identifier="1 bad"')]),
    ("adlcp:scormType not an enumeration value", [('adlcp:scormType="sco"', 'adlcp:scormType="page"')]),
]  # fmt: skip


def _verdicts(data: bytes, version: str, edition: str | None) -> tuple[set[str], set[str]]:
    """The items (nearest ``identifier``) each validator finds errors in; empty set = valid.

    Compared by item, not line: libxml2 blames the unexpected child, xmlschema the parent whose
    content it ends; a finding names the item either way (``scorm._owner``).
    """
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    by_line: dict[int, etree._Element] = {}
    for el in root.iter(etree.Element):
        by_line.setdefault(el.sourceline, el)  # type: ignore[arg-type]
    fast = load_fast_schema(version, edition)  # type: ignore[arg-type]
    fast.validate(root)
    fast_items = {scorm._owner(by_line.get(e.line)) or "manifest" for e in fast.error_log}
    reference = load_schema(version, edition).iter_errors(root)  # type: ignore[arg-type]
    ref_items = {scorm._owner(e.elem) or "manifest" for e in reference}
    return fast_items, ref_items


def _cases(version: str) -> list[tuple[str, Pairs]]:
    if version == "1.2":
        return [(why, pairs) for why, pairs, _ in CASES_12] + XSD_CASES_12
    return [(why, pairs) for why, pairs, _ in CASES_2004] + XSD_CASES_2004


EDITIONS = [("1.2", None), ("2004", "3rd"), ("2004", "4th")]
ALL = [(v, e, why, pairs) for v, e in EDITIONS for why, pairs in _cases(v)]


@pytest.mark.parametrize(
    ("version", "edition", "why", "pairs"), ALL, ids=[f"{v}-{e}-{w}" for v, e, w, _ in ALL]
)
def test_both_validators_blame_the_same_lines(
    tmp_path: Path, version: str, edition: str | None, why: str, pairs: Pairs
) -> None:
    members = package(tmp_path, version, edition or "4th")
    assert _verdicts(members["imsmanifest.xml"], version, edition) == (set(), set())  # type: ignore[arg-type]
    try:
        broken = apply(members, pairs)["imsmanifest.xml"]
    except AssertionError:
        pytest.skip(f"{why}: this edition's manifest has nothing to break that way")
    fast, ref = _verdicts(broken, version, edition)  # type: ignore[arg-type]
    assert bool(fast) == bool(ref), (why, fast, ref)
    # libxml2 does not look inside an element whose own content is wrong, so it may name fewer
    # items; never one the reference does not.
    assert fast <= ref, why


def test_every_xsd_case_is_a_real_xsd_error(tmp_path: Path) -> None:
    """The extra cases above do break the schema (else the agreement test would prove little)."""
    for version, edition in EDITIONS:
        for why, pairs in XSD_CASES_12 if version == "1.2" else XSD_CASES_2004:
            members = apply(package(tmp_path / f"{version}{edition}{why}", version, edition or "4th"), pairs)
            assert any(d.code == "scorm.xsd" for d in check_manifest(members, version, edition)), why  # type: ignore[arg-type]


def test_a_manifest_the_fast_check_refuses_goes_to_the_reference(tmp_path: Path) -> None:
    """A LOM element of another LOM category (lifecycle's version inside general): the original
    imsmd set (XSD 1.1) lets its ``##any`` wildcard take it, libxml2's narrowed ``##other`` copy
    does not; the reference decides, so there is no XSD finding."""
    members = package(tmp_path, "1.2")
    version = "<imsmd:version><imsmd:langstring xml:lang='en'>1</imsmd:langstring></imsmd:version>"
    pairs = [("</imsmd:general>", version + "</imsmd:general>")]
    data = apply(members, pairs)["imsmanifest.xml"]
    fast, ref = _verdicts(data, "1.2", None)  # type: ignore[arg-type]
    assert fast and not ref
    assert [d for d in check_manifest(members, "1.2") if d.code.startswith("scorm.xsd")] == []


def test_a_valid_manifest_needs_no_reference_validator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unused(*args: object) -> None:
        raise AssertionError("xmlschema was asked about a manifest libxml2 accepted")

    monkeypatch.setattr(scorm, "load_schema", unused)
    for version, edition in EDITIONS:
        members = package(tmp_path / f"{version}{edition}", version, edition or "4th")
        assert check_manifest(members, version, edition) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(("version", "edition"), EDITIONS)
def test_the_fast_schema_reads_only_the_vendored_files(version: str, edition: str | None) -> None:
    """Compiled offline from the pinned set: a schemaLocation elsewhere is refused, never fetched."""
    load_fast_schema.cache_clear()
    schema = load_fast_schema(version, edition)  # type: ignore[arg-type]
    assert isinstance(schema, etree.XMLSchema)
