"""The SCORM manifest validator must reject broken packages, each for the right reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builder.archive import Member
from builder.resources import scorm_schemas
from builder.targets import BuildOptions, scorm12, scorm2004
from builder.validate import scorm
from builder.validate.scorm import check_lom, check_manifest
from tests.factories import make_course

# The XSDs are vendored: these tests never skip for want of them.


def package(tmp_path: Path, version: str, edition: str = "4th") -> dict[str, Member]:
    module = scorm12 if version == "1.2" else scorm2004
    (out,) = module.render(make_course(tmp_path), BuildOptions(scorm_edition=edition))  # type: ignore[arg-type]
    return dict(out.members)


def edit(members: dict[str, Member], old: str, new: str, count: int = 1) -> dict[str, Member]:
    text = members["imsmanifest.xml"].decode()  # type: ignore[union-attr]
    assert old in text, old
    members["imsmanifest.xml"] = text.replace(old, new, count).encode()
    return members


def replace_all(members: dict[str, Member], old: str, new: str) -> dict[str, Member]:
    members["imsmanifest.xml"] = members["imsmanifest.xml"].replace(old.encode(), new.encode())  # type: ignore[union-attr]
    return members


def codes(members: dict[str, Member], version: str, edition: str = "4th") -> set[str]:
    return {d.code for d in check_manifest(members, version, edition)}  # type: ignore[arg-type]


Pairs = list[tuple[str, str]]
"""Replacements (old → new, every occurrence) that break a valid manifest in one way."""

X200 = "x" * 256
CP2004 = 'xmlns:cp="http://www.imsglobal.org/xsd/imscp_v1p1" '

CASES_12: list[tuple[str, Pairs, str]] = [
    ("scormType camelCase in 1.2", [('adlcp:scormtype="sco"', 'adlcp:scormType="sco"')], "scorm.xsd"),
    ("schemaversion typo", [("<schemaversion>1.2<", "<schemaversion>1.2 <")], "scorm.schemaversion"),
    ("duplicate identifier", [('identifier="RES-u-practice"', 'identifier="RES-u-intro"')],
     "scorm.duplicate-id"),
    ("dangling identifierref", [('identifierref="RES-u-report"', 'identifierref="RES-x"')],
     "scorm.unresolved-ref"),
    ("path escapes the package", [('<file href="sco/u-intro.html"/>', '<file href="../x.html"/>')],
     "scorm.unsafe-path"),
    ("absolute URL file", [('<file href="sco/u-intro.html"/>', '<file href="https://x.org/a"/>')],
     "scorm.unsafe-path"),
    ("prefix other than adlcp", [("xmlns:adlcp=", "xmlns:adl="), ("adlcp:", "adl:")], "scorm.prefix"),
    ("masteryscore out of range", [("<adlcp:masteryscore>60<", "<adlcp:masteryscore>160<")],
     "scorm.masteryscore"),
    ("taxon id with a space", [("<imsmd:id>TM.U1.K1<", "<imsmd:id>TM U1<")], "scorm.objective-id"),
    ("metadata after ADL extensions", [("</adlcp:masteryscore>", "</adlcp:masteryscore><metadata/>")],
     "scorm.xsd"),
    ("title over 200", [("<title>Practice</title>", f"<title>{X200}</title>")], "scorm.title-length"),
]  # fmt: skip


def apply(members: dict[str, Member], pairs: Pairs) -> dict[str, Member]:
    for old, new in pairs:
        assert old.encode() in members["imsmanifest.xml"], old  # type: ignore[operator]
        members = replace_all(members, old, new)
    return members


@pytest.mark.parametrize(("why", "pairs", "code"), CASES_12, ids=[c[0] for c in CASES_12])
def test_broken_scorm12_manifests_are_rejected(tmp_path: Path, why: str, pairs: Pairs, code: str) -> None:
    members = package(tmp_path, "1.2")
    assert codes(members, "1.2") == set()
    assert code in codes(apply(members, pairs), "1.2"), why


CASES_2004: list[tuple[str, Pairs, str]] = [
    ("lower-case edition", [(" Edition</schemaversion>", " edition</schemaversion>")], "scorm.schemaversion"),
    ("whitespace in schemaversion", [("<schemaversion>2004", "<schemaversion> 2004")], "scorm.schemaversion"),
    ("1.2 casing scormtype (XSD is lax)", [('adlcp:scormType="sco"', 'adlcp:scormtype="sco"')],
     "scorm.scormtype"),
    ("objectiveID not a URI", [('objectiveID="https://example.org/map/TM.U1.K1"', 'objectiveID="TM U1 K1"')],
     "scorm.objective-id"),
    ("minNormalizedMeasure above 1", [(">0.6</imsss:minN", ">1.8</imsss:minN")],
     "scorm.xsd"),
    ("imsss prefix renamed", [("xmlns:imsss=", "xmlns:ss="), ("imsss:", "ss:")], "scorm.prefix"),
    ("prefixed CP element", [("<manifest ", f"<cp:manifest {CP2004}"), ("</manifest>", "</cp:manifest>")],
     "scorm.prefix"),
]  # fmt: skip


@pytest.mark.parametrize("edition", ["3rd", "4th"])
@pytest.mark.parametrize(("why", "pairs", "code"), CASES_2004, ids=[c[0] for c in CASES_2004])
def test_broken_scorm2004_manifests_are_rejected(
    tmp_path: Path, edition: str, why: str, pairs: Pairs, code: str
) -> None:
    members = package(tmp_path, "2004", edition)
    assert codes(members, "2004", edition) == set()
    assert code in codes(apply(members, pairs), "2004", edition), why


def test_inline_lom_fails_third_edition_strict_validation(tmp_path: Path) -> None:
    """Why 2004 packages use adlcp:location: 3rd-edition metadata is strict on other namespaces."""
    lom = '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general/></lom>'
    for edition, expect_error in (("3rd", True), ("4th", False)):
        location = "<adlcp:location>metadata/package.xml</adlcp:location>"
        members = edit(package(tmp_path / edition, "2004", edition), location, location + lom)
        assert ("scorm.xsd" in codes(members, "2004", edition)) is expect_error


def test_missing_unlisted_and_rootless_files(tmp_path: Path) -> None:
    members = package(tmp_path, "2004")
    del members["shared/coursepack.js"]
    assert "scorm.missing-file" in codes(members, "2004")
    members = package(tmp_path, "2004")
    members["sco/extra.html"] = b"<p>not listed</p>"
    assert "scorm.not-listed" in codes(members, "2004")
    members = package(tmp_path, "2004")
    members["nested/imsmanifest.xml"] = members.pop("imsmanifest.xml")
    assert codes(members, "2004") == {"scorm.no-manifest"}
    members = package(tmp_path, "2004")
    del members["metadata/package.xml"]
    assert "scorm.missing-file" in codes(members, "2004")


def test_runtime_objective_ids_are_checked_per_version(tmp_path: Path) -> None:
    members = package(tmp_path, "1.2")
    page = members["sco/u-report.html"]
    members["sco/u-report.html"] = page.replace(b'"id":"TM.U2.R1"', b'"id":"TM U2 R1"')  # type: ignore[union-attr]
    assert "scorm.objective-id" in codes(members, "1.2")
    members = package(tmp_path, "2004")
    page = members["sco/u-report.html"]
    members["sco/u-report.html"] = page.replace(
        b'"id":"https://example.org/map/TM.U2.R1"', b'"id":"TM.U2.R1"'
    )  # type: ignore[union-attr]
    assert "scorm.objective-id" in codes(members, "2004")


def test_lom_lint_rejects_bad_vocabulary_and_missing_parts() -> None:
    good = (
        '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general><title><string language="en">T</string></title>'
        "</general><classification><purpose><source>LOMv1.0</source><value>educational objective</value>"
        '</purpose><taxonPath><source><string language="en">Map</string></source><taxon><id>https://x.org/a</id>'
        '<entry><string language="en">Does a</string></entry></taxon></taxonPath></classification></lom>'
    )
    assert check_lom(good.encode(), "m.xml") == []
    assert check_lom(good.replace("educational objective", "learning goal").encode(), "m.xml")
    assert check_lom(good.replace("<id>https://x.org/a</id>", "<id>a b</id>").encode(), "m.xml")
    assert check_lom(good.replace(' language="en">Does', ">Does").encode(), "m.xml")
    assert (
        check_lom(good.replace("<general>", "<general><bogus/>").encode(), "m.xml") == []
    )  # inside: not linted
    misordered = good.replace("</general>", "</general><bogus/>").replace(
        "<classification>", "<rights/><classification>"
    )
    assert len(check_lom(misordered.encode(), "m.xml")) == 1  # unexpected element
    assert check_lom(good.replace("</classification>", "</classification><general/>").encode(), "m.xml")
    assert check_lom(b"<lom/>", "m.xml")


def test_a_schema_that_cannot_load_is_an_error_never_a_silent_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = package(tmp_path, "2004")

    def broken(version: str, edition: str | None = None) -> None:
        raise scorm_schemas.SchemaUnavailable("scorm2004_4th/imscp_v1p1.xsd is missing")

    monkeypatch.setattr(scorm, "load_schema", broken)
    monkeypatch.setattr(scorm, "load_fast_schema", broken)  # both read the same vendored set
    (finding,) = [d for d in check_manifest(members, "2004", "4th") if d.code == "scorm.xsd-unavailable"]
    assert finding.severity == "error"
    assert "NOT validated against the SCORM XSDs" in finding.message and "is missing" in finding.message


def test_xsd_findings_name_the_item_they_are_about(tmp_path: Path) -> None:
    members = edit(package(tmp_path, "1.2"), "<adlcp:masteryscore>", "<adlcp:masteryscore bogus='1'>")
    xsd = [d for d in check_manifest(members, "1.2") if d.code == "scorm.xsd"]
    assert xsd and all(", in 'ITEM-" in d.message for d in xsd), xsd


@pytest.mark.parametrize(
    "href",
    ["sco/a.html", "../a.html", "sco/../../a.html", "sco/..", "..", "a/./b", "a//b", "a/..b", "..a/b",
     "sco/a.html#x/../y", "sco/a.html?q=../x", "sco/%2e%2e/a", "./../a", "a/.../b", ""],
)  # fmt: skip
def test_safe_href_refuses_exactly_what_a_parent_step_would_escape(href: str) -> None:
    from pathlib import PurePosixPath

    expected = bool(href) and ".." not in PurePosixPath(href.split("#", 1)[0].split("?", 1)[0]).parts
    assert scorm._safe_href(href) == expected


class _Pages(dict):  # type: ignore[type-arg]
    """A build's members: each page made by a cache piece carries its origin; reads are counted."""

    def __init__(self, members: dict[str, Member], origins: dict[str, str]):
        super().__init__(members)
        self.origins = origins
        self.read: list[str] = []

    def __getitem__(self, name: str) -> Member:
        self.read.append(name)
        return super().__getitem__(name)


class _Memo:
    def __init__(self) -> None:
        self.entries: dict[str, object] = {}

    def get(self, key: str) -> object | None:
        return self.entries.get(key)

    def put(self, key: str, body: object) -> None:
        self.entries[key] = json.loads(json.dumps(body))  # as the build cache gives it back


def test_runtime_objective_ids_are_remembered_by_the_piece_that_made_each_page(tmp_path: Path) -> None:
    members = package(tmp_path, "1.2")
    good = members["sco/u-report.html"]
    members["sco/u-report.html"] = good.replace(b'"id":"TM.U2.R1"', b'"id":"TM U2 R1"')  # type: ignore[union-attr]
    pages = sorted(n for n in members if n.endswith(".html"))
    origins = {n: f"origin of {n}" for n in pages}
    memo = _Memo()
    first = _Pages(members, origins)
    found = scorm.check_sco_data(first, "1.2", "p.zip", memo)
    assert [d.code for d in found] == ["scorm.objective-id"] and set(first.read) == set(pages)
    again = _Pages(members, origins)
    assert scorm.check_sco_data(again, "1.2", "p.zip", memo) == found
    assert again.read == []  # every page known by its origin: none read
    members["sco/u-report.html"] = good
    fixed = _Pages(members, origins | {"sco/u-report.html": "origin of the edited page"})
    assert scorm.check_sco_data(fixed, "1.2", "p.zip", memo) == []
    assert fixed.read == ["sco/u-report.html"]  # only the page another piece made
    assert scorm.check_sco_data(dict(members), "1.2", "p.zip") == []  # without a memo: as before
