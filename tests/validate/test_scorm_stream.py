"""The manifest check reads a valid manifest in one streamed pass and finds exactly what reading it
whole finds.

``check_manifest`` validates while it parses (libxml2 ``iterparse(schema=…)``) and drops each
element once its facts are taken, so a 20,000-unit manifest is never a tree in memory. A manifest
libxml2 rejects is read whole, as before. These tests hold the two ways to the same findings on
every broken manifest of the corpus (``test_scorm_check``, ``test_xsd_agreement``) and on cases
that exercise what streaming could get wrong: text taken at an element's end, a resource id used
twice (the last one counts), leaf items, xs:ID values repeated (libxml2 sees those only in a tree).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from builder.resources.scorm_schemas import load_fast_schema
from builder.validate import scorm
from builder.validate.scorm import check_manifest
from tests.validate.test_scorm_check import CASES_12, CASES_2004, Pairs, apply, package
from tests.validate.test_xsd_agreement import XSD_CASES_12, XSD_CASES_2004

EDGE_CASES: list[tuple[str, Pairs]] = [
    ("resource identifier used twice", [('identifier="RES-u-practice"', 'identifier="RES-u-intro"')]),
    ("item identifier used twice", [('identifier="ITEM-u-practice"', 'identifier="ITEM-u-intro"')]),
    ("leaf item without identifierref", [('identifierref="RES-u-practice"', "")]),
    ("empty title", [("<title>Practice</title>", "<title></title>")]),
    ("title Moodle shortens", [("<title>Practice</title>", "<title>A &amp; &lt;b&gt;</title>")]),
    ("organizations without default", [('default="', 'x="')]),
    ("default naming no organization", [('default="', 'default="X')]),
    ("dependency on a missing resource", [('<dependency identifierref="', '<dependency identifierref="X')]),
    ("schema without text", [("<schema>ADL SCORM</schema>", "<schema/>")]),
    ("no schemaversion", [("<schemaversion>", "<x>"), ("</schemaversion>", "</x>")]),
    ("file not in the package", [('<file href="sco/u-intro.html"/>', '<file href="sco/nope.html"/>')]),
    ("resource href not listed", [('<file href="sco/u-intro.html"/>', "")]),
    ("xml:base on resources", [("<resource ", '<resource xml:base="a/" ')]),
    ("a comment", [("<organizations", "<!-- c --><organizations")]),
    ("not well-formed", [("<organizations", "<organizations<")]),
]

EDITIONS = [("1.2", None), ("2004", "3rd"), ("2004", "4th")]


def _corpus(version: str) -> list[tuple[str, Pairs]]:
    if version == "1.2":
        return [("valid", [])] + [(w, p) for w, p, _ in CASES_12] + XSD_CASES_12 + EDGE_CASES
    return [("valid", [])] + [(w, p) for w, p, _ in CASES_2004] + XSD_CASES_2004 + EDGE_CASES


ALL = [(v, e, why, pairs) for v, e in EDITIONS for why, pairs in _corpus(v)]


def _broken(tmp_path: Path, version: str, edition: str | None, why: str, pairs: Pairs) -> dict:
    members = package(tmp_path, version, edition or "4th")
    try:
        return apply(members, pairs)
    except AssertionError:
        pytest.skip(f"{why}: this edition's manifest has nothing to break that way")


@pytest.mark.parametrize(
    ("version", "edition", "why", "pairs"), ALL, ids=[f"{v}-{e}-{w}" for v, e, w, _ in ALL]
)
def test_streamed_and_whole_reads_find_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, edition: str | None, why: str, pairs: Pairs
) -> None:
    members = _broken(tmp_path, version, edition, why, pairs)
    streamed = check_manifest(members, version, edition)  # type: ignore[arg-type]
    monkeypatch.setattr(scorm, "_streamed", lambda *args: None)
    assert check_manifest(members, version, edition) == streamed, why  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("version", "edition", "why", "pairs"), ALL, ids=[f"{v}-{e}-{w}" for v, e, w, _ in ALL]
)
def test_libxml2_gives_the_same_verdict_streaming(
    tmp_path: Path, version: str, edition: str | None, why: str, pairs: Pairs
) -> None:
    """Streamed validation is trusted only where a tree validation would say the same."""
    data = _broken(tmp_path, version, edition, why, pairs)["imsmanifest.xml"]
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        assert scorm._streamed(data, version, edition) is None  # type: ignore[arg-type]
        return
    tree_valid = load_fast_schema(version, edition).validate(root)  # type: ignore[arg-type]
    assert (scorm._streamed(data, version, edition) is not None) == tree_valid, why  # type: ignore[arg-type]


def test_a_valid_manifest_is_never_held_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parse = scorm._parse

    def whole(data: bytes) -> etree._Element:
        assert b"<manifest" not in data, "a valid manifest was parsed into a tree"
        return parse(data)  # a LOM file (check_lom): small, and read whole as before

    monkeypatch.setattr(scorm, "_parse", whole)
    for version, edition in EDITIONS:
        members = package(tmp_path / f"{version}{edition}", version, edition or "4th")
        assert check_manifest(members, version, edition) == []  # type: ignore[arg-type]
        broken = apply(members, [("<title>Practice</title>", "<title>A &amp; &lt;b&gt;</title>")])
        found = check_manifest(broken, version, edition)  # type: ignore[arg-type]
        assert [d.code for d in found] == ["scorm.moodle-title-space"] * 2


@pytest.mark.parametrize(("version", "edition"), EDITIONS)
def test_a_repeated_id_is_still_an_xsd_error(tmp_path: Path, version: str, edition: str | None) -> None:
    """libxml2 misses a repeated xs:ID while streaming; such a manifest is read whole, and the XSD
    finding the whole read gives is reported as before."""
    members = package(tmp_path, version, edition or "4th")
    broken = apply(members, [('identifier="ITEM-u-practice"', 'identifier="ITEM-u-intro"')])
    found = check_manifest(broken, version, edition)  # type: ignore[arg-type]
    assert [d.code for d in found] == ["scorm.xsd", "scorm.duplicate-id"]
    assert "duplicated xs:ID value 'ITEM-u-intro'" in found[0].message
