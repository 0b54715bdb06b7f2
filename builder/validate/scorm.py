"""Check a SCORM package's manifest against the official XSDs plus the rules XSD cannot express.

LMSs rarely validate manifests, so a broken one fails late and quietly (Moodle falls back to
SCORM 1.2 on a misspelt schemaversion, ignores namespaces and matches literal prefixes). We
validate every package we build against the unmodified IMS/ADL schemas — libxml2 first (fast, C);
a manifest it does not accept goes to xmlschema, whose findings are reported — then lint what the
schemas leave open: file references, identifier references, prefixes, objective ids, LOM.

The XSDs are the vendored, unmodified IMS/ADL files of ``builder.resources.scorm_schemas``, so
validation runs everywhere; if the set cannot be loaded (a broken install) that is an error finding,
never a silent pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from builder.archive import Member
from builder.diagnostics import Diagnostic
from builder.resources.scorm_schemas import (
    NS_ADLCP,
    NS_ADLCP12,
    NS_ADLNAV,
    NS_ADLSEQ,
    NS_IMSMD,
    NS_IMSSS,
    PINNED_SHA256,
    Edition,
    SchemaUnavailable,
    Version,
    control_files,
    load_fast_schema,
    load_schema,
    schema_dir,
)

__all__ = ["PINNED_SHA256", "check_lom", "check_manifest", "control_files", "schema_dir", "xsd_available"]

NS_CP12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
NS_LOM = "http://ltsc.ieee.org/xsd/LOM"
NS_XML = "http://www.w3.org/XML/1998/namespace"

REQUIRED_PREFIX = {
    NS_ADLCP12: "adlcp",
    NS_ADLCP: "adlcp",
    NS_IMSSS: "imsss",
    NS_ADLSEQ: "adlseq",
    NS_ADLNAV: "adlnav",
}
"""Moodle's parser is not namespace-aware: it matches these literal prefixes."""

VERSION_ALIASES = {"scorm12": "1.2", "scorm2004": "2004"}

SCHEMAVERSION = {
    ("1.2", None): "1.2",
    ("2004", "3rd"): "2004 3rd Edition",
    ("2004", "4th"): "2004 4th Edition",
}


URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
CMI_IDENTIFIER_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
LOM_PURPOSES = {
    "discipline",
    "idea",
    "prerequisite",
    "educational objective",
    "accessibility restrictions",
    "educational level",
    "skill level",
    "security level",
    "competency",
}
DATA_SCRIPT_RE = re.compile(rb'<script type="application/json" id="cp-data">(.*?)</script>', re.S)


def xsd_available(version: Version, edition: Edition = None) -> bool:
    """Whether the vendored schema set of this edition loads (always, unless the install is broken)."""
    try:
        load_schema(version, edition)
    except SchemaUnavailable:
        return False
    return True


# --------------------------------------------------------------------------- checks


def _bytes(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def _owner(elem: object) -> str:
    """``, in 'ITEM-u1'``: the nearest element with an identifier, so a finding can name its source."""
    while elem is not None and hasattr(elem, "get"):
        ident = elem.get("identifier")  # type: ignore[union-attr]
        if ident:
            return f", in {ident!r}"
        elem = elem.getparent() if hasattr(elem, "getparent") else None
    return ""


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(data, parser)


def _fast_valid(root: etree._Element, version: Version, edition: Edition) -> bool:
    """Whether libxml2 (``load_fast_schema``) accepts the manifest: then it is valid, and the
    pure-Python validator, which takes seconds on a 2,000-unit manifest, is not needed.

    False when it rejects it or cannot compile the set: ``load_schema`` then decides, and its
    findings (or its ``SchemaUnavailable``) are the ones reported, so findings never depend on
    which validator ran.
    """
    try:
        schema = load_fast_schema(version, edition)
    except SchemaUnavailable:
        return False
    return bool(schema.validate(root))


def _safe_href(href: str) -> bool:
    if (
        not href
        or href.startswith(("/", "\\"))
        or "\\" in href
        or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href)
    ):
        return False
    # The components PurePosixPath would give (it never folds ".."), without its cost: a manifest
    # of 2,000 units has 8,000 hrefs.
    return ".." not in _path_only(href).split("/")


def _path_only(href: str) -> str:
    return href.split("#", 1)[0].split("?", 1)[0]


MOODLE_LOST_SPACE = re.compile(r"[&<>]\s+[&<>]")
"""Text that Moodle 4.5 stores without its space: its parser splits character data at each entity
and skips chunks that are only whitespace (``mod/scorm/datamodels/scormlib.php``, ``trim($tagdata)``)."""


def check_manifest(
    members: Mapping[str, Member],
    version: Version,
    edition: Edition = "4th",
    output: str = "imsmanifest.xml",
    sco_data: bool = True,
) -> list[Diagnostic]:
    """Every finding about one package's manifest (empty list = valid).

    ``sco_data=False`` leaves out ``check_sco_data`` (the objective ids inside SCO pages), so that
    the build can reuse this check's findings while only pages change (``builder.cache``).

    ``members`` is the package as built (name → bytes/Path); ``output`` names the package in messages.
    ``version`` is "1.2"/"2004", or the target names "scorm12"/"scorm2004".
    """
    version = VERSION_ALIASES.get(version, version)  # type: ignore[assignment]
    if version not in ("1.2", "2004"):
        raise ValueError(f"unknown SCORM version {version!r}")
    edition = (edition or "4th") if version == "2004" else None
    diags: list[Diagnostic] = []

    def err(message: str, code: str, hint: str = "", severity: str = "error") -> None:
        diags.append(Diagnostic(output, None, None, message, hint, severity, code))  # type: ignore[arg-type]

    if "imsmanifest.xml" not in members:
        err("imsmanifest.xml is not at the root of the package", "scorm.no-manifest")
        return diags
    data = _bytes(members["imsmanifest.xml"])
    try:
        root = _parse(data)
    except etree.XMLSyntaxError as exc:
        err(f"imsmanifest.xml is not well-formed XML: {exc}", "scorm.xml")
        return diags

    # --- XSD
    if not _fast_valid(root, version, edition):
        try:
            schema = load_schema(version, edition)
        except SchemaUnavailable as exc:
            err(
                f"imsmanifest.xml was NOT validated against the SCORM XSDs: {exc}",
                "scorm.xsd-unavailable",
                "reinstall coursepack; its vendored control documents are missing or altered",
            )
        else:
            for e in schema.iter_errors(root):
                err(f"XSD: {e.reason} (at {e.path}{_owner(e.elem)})", "scorm.xsd")

    cp = NS_CP12 if version == "1.2" else NS_CP
    adlcp = NS_ADLCP12 if version == "1.2" else NS_ADLCP
    q = lambda tag: f"{{{cp}}}{tag}"  # noqa: E731

    # --- prefixes (Moodle matches literal names)
    for el in root.iter(etree.Element):
        ns = etree.QName(el).namespace
        if ns == cp and el.prefix is not None:
            err(
                f"IMS CP element <{el.prefix}:{etree.QName(el).localname}> must be unprefixed", "scorm.prefix"
            )
        elif ns in REQUIRED_PREFIX and el.prefix != REQUIRED_PREFIX[ns]:
            err(
                f"element {etree.QName(el).localname} in {ns} must use the prefix {REQUIRED_PREFIX[ns]}:",
                "scorm.prefix",
            )
        for attr in el.attrib:
            ans = etree.QName(attr).namespace
            if ans in REQUIRED_PREFIX:
                prefix = next((p for p, u in el.nsmap.items() if u == ans), None)
                if prefix != REQUIRED_PREFIX[ans]:
                    err(f"attribute {attr} must use the prefix {REQUIRED_PREFIX[ans]}:", "scorm.prefix")

    # --- schema / schemaversion
    if etree.QName(root).namespace != cp:
        err(f"root element is not in the IMS CP namespace {cp}", "scorm.namespace")
    meta = root.find(q("metadata"))
    expected = SCHEMAVERSION[(version, edition)]
    sv = meta.findtext(q("schemaversion")) if meta is not None else None
    if sv != expected:
        err(
            f"schemaversion is {sv!r}, expected exactly {expected!r}",
            "scorm.schemaversion",
            "Moodle treats any other value as SCORM 1.2",
        )
    if (meta.findtext(q("schema")) if meta is not None else None) != "ADL SCORM":
        err("schema must be exactly 'ADL SCORM'", "scorm.schemaversion")

    # --- identifiers
    ids: dict[str, str] = {}
    for el in root.iter(etree.Element):
        ident = el.get("identifier")
        if ident is None:
            continue
        if ident in ids:
            err(f"identifier {ident!r} is used twice", "scorm.duplicate-id")
        ids[ident] = etree.QName(el).localname
    resources = {r.get("identifier"): r for r in root.iter(q("resource"))}
    orgs = root.find(q("organizations"))
    default = orgs.get("default") if orgs is not None else None
    org_ids = {o.get("identifier") for o in root.iter(q("organization"))}
    if default is None or default not in org_ids:
        err(f"organizations/@default {default!r} does not name an organization", "scorm.unresolved-ref")
    for item in root.iter(q("item")):
        ref = item.get("identifierref")
        if ref is not None and ref not in resources:
            err(f"item {item.get('identifier')!r} refers to missing resource {ref!r}", "scorm.unresolved-ref")
        if ref is None and item.find(q("item")) is None:
            err(f"leaf item {item.get('identifier')!r} has no identifierref", "scorm.empty-item")
    for dep in root.iter(q("dependency")):
        if dep.get("identifierref") not in resources:
            err(f"dependency on missing resource {dep.get('identifierref')!r}", "scorm.unresolved-ref")

    # --- titles
    for title in root.iter(q("title")):
        if len(title.text or "") > 255:
            err(f"title longer than 255 characters: {(title.text or '')[:40]!r}…", "scorm.title-length")
        if not (title.text or "").strip():
            err("empty title", "scorm.title-length")
        if MOODLE_LOST_SPACE.search(title.text or ""):
            err(
                f"Moodle will drop a space between markup characters in title {(title.text or '')[:60]!r}",
                "scorm.moodle-title-space",
                "Moodle's manifest parser discards whitespace that stands alone between two escaped "
                "characters (& < >); reword, e.g. 'Risks and <rewards>' for 'Risks & <rewards>'",
                "warning",
            )

    # --- scormtype casing
    good, bad = (
        (f"{{{adlcp}}}scormtype", f"{{{adlcp}}}scormType")
        if version == "1.2"
        else (f"{{{adlcp}}}scormType", f"{{{adlcp}}}scormtype")
    )
    for res in resources.values():
        if res.get(bad) is not None:
            err(
                f"resource {res.get('identifier')!r}: use adlcp:{etree.QName(good).localname}",
                "scorm.scormtype",
            )
        if res.get(good) not in {"sco", "asset"}:
            err(
                f"resource {res.get('identifier')!r}: adlcp:{etree.QName(good).localname} is not sco/asset",
                "scorm.scormtype",
            )

    # --- files
    listed: set[str] = set()
    for res in resources.values():
        base = res.get(f"{{{NS_XML}}}base") or ""
        hrefs = [res.get("href")] if res.get("href") else []
        hrefs += [f.get("href") or "" for f in res.iter(q("file"))]
        for href in hrefs:
            full = base + href
            if not _safe_href(full):
                err(f"file reference {full!r} leaves the package or is absolute", "scorm.unsafe-path")
                continue
            path = _path_only(full)
            if path not in members:
                err(f"referenced file {path!r} is not in the package", "scorm.missing-file")
            listed.add(path)
        if res.get("href") and _path_only(base + res.get("href", "")) not in {
            _path_only(base + (f.get("href") or "")) for f in res.iter(q("file"))
        }:
            err(f"resource {res.get('identifier')!r}: its href is not listed as a <file>", "scorm.not-listed")
    locations = [loc.text or "" for loc in root.iter(f"{{{adlcp}}}location")]
    for loc in locations:
        if not _safe_href(loc):
            err(f"metadata location {loc!r} leaves the package", "scorm.unsafe-path")
        elif loc not in members:
            err(f"metadata file {loc!r} is not in the package", "scorm.missing-file")
    for name in sorted(members):
        control = "/" not in name and name.endswith((".xsd", ".dtd"))
        if name != "imsmanifest.xml" and not control and name not in listed:
            err(f"package file {name!r} is not listed in any resource", "scorm.not-listed")

    # --- objectives and metadata
    if version == "2004":
        for el in root.iter(f"{{{NS_IMSSS}}}objective", f"{{{NS_IMSSS}}}primaryObjective"):
            oid = el.get("objectiveID")
            if oid is not None and not URI_RE.match(oid):
                err(f"objectiveID {oid!r} is not a URI", "scorm.objective-id")
        for el in root.iter(f"{{{NS_IMSSS}}}mapInfo"):
            if not URI_RE.match(el.get("targetObjectiveID") or ""):
                err(f"targetObjectiveID {el.get('targetObjectiveID')!r} is not a URI", "scorm.objective-id")
        for loc in locations:
            if loc in members:
                diags.extend(check_lom(_bytes(members[loc]), f"{output}:{loc}"))
    else:
        for taxon_id in root.iter(f"{{{NS_IMSMD}}}id"):
            if not CMI_IDENTIFIER_RE.match(taxon_id.text or ""):
                err(f"taxon id {taxon_id.text!r} is not a CMIIdentifier", "scorm.objective-id")
        for ms in root.iter(f"{{{NS_ADLCP12}}}masteryscore"):
            try:
                ok = 0 <= float(ms.text or "") <= 100
            except ValueError:
                ok = False
            if not ok:
                err(f"masteryscore {ms.text!r} is not a number from 0 to 100", "scorm.masteryscore")
    if sco_data:
        diags.extend(_check_sco_data(members, version, output))
    return diags


def check_sco_data(members: Mapping[str, Member], version: Version, output: str) -> list[Diagnostic]:
    """The objective ids inside SCO pages suit ``version`` ("1.2"/"2004" or a target name)."""
    return _check_sco_data(members, VERSION_ALIASES.get(version, version), output)  # type: ignore[arg-type]


def _check_sco_data(members: Mapping[str, Member], version: Version, output: str) -> list[Diagnostic]:
    """The runtime objective ids embedded in SCO pages must suit the version's data model."""
    diags: list[Diagnostic] = []
    for name in sorted(members):
        if not name.endswith(".html"):
            continue
        m = DATA_SCRIPT_RE.search(_bytes(members[name]))
        if not m:
            continue
        data = json.loads(m.group(1))
        for objective in data.get("objectives", []):
            oid = str(objective.get("id", ""))
            ok = URI_RE.match(oid) and len(oid) <= 4000 if version == "2004" else CMI_IDENTIFIER_RE.match(oid)
            if not ok:
                kind = "a URI" if version == "2004" else "a CMIIdentifier (≤255 chars, no spaces)"
                diags.append(
                    Diagnostic(
                        f"{output}:{name}",
                        None,
                        None,
                        f"objective id {oid!r} is not {kind}",
                        "",
                        "error",
                        "scorm.objective-id",
                    )
                )
    return diags


def check_lom(data: bytes, where: str) -> list[Diagnostic]:
    """Lint an IEEE LOM file (no LOM XSD is available offline): structure and vocabulary we use."""
    diags: list[Diagnostic] = []

    def err(message: str) -> None:
        diags.append(Diagnostic(where, None, None, message, "", "error", "scorm.lom"))

    try:
        root = _parse(data)
    except etree.XMLSyntaxError as exc:
        return [Diagnostic(where, None, None, f"LOM is not well-formed XML: {exc}", "", "error", "scorm.lom")]
    lom = lambda tag: f"{{{NS_LOM}}}{tag}"  # noqa: E731
    if root.tag != lom("lom"):
        err(f"root element is {root.tag}, expected {{{NS_LOM}}}lom")
        return diags
    allowed = ["general", "lifeCycle", "metaMetadata", "technical", "educational", "rights", "relation",
               "annotation", "classification"]  # fmt: skip
    last = -1
    for child in root:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if etree.QName(child).namespace != NS_LOM or name not in allowed:
            err(f"unexpected element {child.tag} in lom")
            continue
        if allowed.index(name) < last:
            err(f"element {name} is out of LOM order")
        last = allowed.index(name)
    title = root.find(f"{lom('general')}/{lom('title')}/{lom('string')}")
    if title is None or not (title.text or "").strip():
        err("general/title/string is missing")
    for string in root.iter(lom("string")):
        if not string.get("language"):
            err("every LOM string needs a language attribute")
    for cl in root.iter(lom("classification")):
        src = cl.findtext(f"{lom('purpose')}/{lom('source')}")
        value = cl.findtext(f"{lom('purpose')}/{lom('value')}")
        if src != "LOMv1.0" or value not in LOM_PURPOSES:
            err(f"classification purpose {src!r}/{value!r} is not in the LOMv1.0 vocabulary")
        paths = cl.findall(lom("taxonPath"))
        if not paths:
            err("classification has no taxonPath")
        for tp in paths:
            if not (tp.findtext(f"{lom('source')}/{lom('string')}") or "").strip():
                err("taxonPath/source/string is missing")
            taxa = tp.findall(lom("taxon"))
            if not taxa:
                err("taxonPath has no taxon")
            for taxon in taxa:
                tid = taxon.findtext(lom("id")) or ""
                if not URI_RE.match(tid):
                    err(f"taxon id {tid!r} is not a URI")
                if not (taxon.findtext(f"{lom('entry')}/{lom('string')}") or "").strip():
                    err(f"taxon {tid!r} has no entry/string")
    return diags
