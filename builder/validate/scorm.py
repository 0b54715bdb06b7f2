"""Check a SCORM package's manifest against the official XSDs plus the rules XSD cannot express.

LMSs rarely validate manifests, so a broken one fails late and quietly (Moodle falls back to
SCORM 1.2 on a misspelt schemaversion, ignores namespaces and matches literal prefixes). We
validate every package we build against the unmodified IMS/ADL schemas — libxml2 first (fast, C);
a manifest it does not accept goes to xmlschema, whose findings are reported — then lint what the
schemas leave open: file references, identifier references, prefixes, objective ids, LOM.

A valid manifest is read in one pass: libxml2 validates it while it parses, and the rules work on
the facts taken from each element before it is dropped (``_Facts``), so a 20,000-unit manifest is
never a tree in memory. One libxml2 rejects is read whole, and the same rules run on it.

The XSDs are the vendored, unmodified IMS/ADL files of ``builder.resources.scorm_schemas``, so
validation runs everywhere; if the set cannot be loaded (a broken install) that is an error finding,
never a silent pass.
"""

from __future__ import annotations

import io
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


def _streamed(data: bytes, version: Version, edition: Edition) -> _Facts | None:
    """The manifest's facts, read in one pass that libxml2 validates as it parses; None when it
    rejects the manifest (or its schema set does not compile), and the caller reads it whole.

    Each element is dropped once it has ended and its facts are taken, so what stays in memory is
    the identifiers, references and file names the rules need (~0.3 KB a unit), not the tree
    (~10 KB a unit in libxml2 and lxml: 200 MB for a 20,000-unit manifest).
    """
    try:
        schema = load_fast_schema(version, edition)
    except SchemaUnavailable:
        return None
    facts = _Facts(version)
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        schema=schema,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        start, end = facts._start, facts._end  # ``feed``, without a call per event to choose
        for event, el in events:
            if event == "start":
                start(el)
            else:
                end(el)
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]  # type: ignore[union-attr]
    except etree.XMLSyntaxError:
        return None
    # libxml2 checks that xs:ID values are unique only when it validates a tree, not while it
    # parses; a manifest that repeats one is read whole, so its XSD findings are the same.
    return None if facts.repeated_id else facts


class _Resource:
    """What the rules read of one <resource>: its attributes and the hrefs of its <file>s."""

    __slots__ = ("attrs", "files", "identifier")

    def __init__(self, identifier: str | None, attrs: dict[str, str]):
        self.identifier, self.attrs, self.files = identifier, attrs, []  # type: list[str]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)


_OBJECTIVE = f"{{{NS_IMSSS}}}objective"
_PRIMARY_OBJECTIVE = f"{{{NS_IMSSS}}}primaryObjective"
_MAP_INFO = f"{{{NS_IMSSS}}}mapInfo"
_LOM_ID = f"{{{NS_IMSMD}}}id"
_MASTERY_SCORE = f"{{{NS_ADLCP12}}}masteryscore"


class _Tags:
    """The qualified tags ``_Facts`` compares with, made once per manifest rather than per element."""

    def __init__(self, cp: str, adlcp: str):
        for name in (
            "metadata", "organizations", "organization", "resource", "file", "dependency", "item",
            "title", "schemaversion", "schema",
        ):  # fmt: skip
            setattr(self, name, f"{{{cp}}}{name}")
        self.location = f"{{{adlcp}}}location"

    metadata: str
    organizations: str
    organization: str
    resource: str
    file: str
    dependency: str
    item: str
    title: str
    schemaversion: str
    schema: str


class _Facts:
    """The manifest as the rules need it, gathered from start/end events in document order.

    Fed by ``iterparse`` (streamed, elements dropped as they end) or by ``iterwalk`` over a parsed
    tree (a manifest libxml2 rejected): the same events, so the same findings. Findings that depend
    on text are taken at an element's end but kept in the order of its start, as ``root.iter()``
    would list them.
    """

    def __init__(self, version: str):
        self.version = version
        self.cp = NS_CP12 if version == "1.2" else NS_CP
        self.adlcp = NS_ADLCP12 if version == "1.2" else NS_ADLCP
        self.seq = 0
        self.depth = 0
        self.root_ns: str | None = None
        self.prefix: list[tuple[str, str]] = []
        self.meta_depth: int | None = None
        self.meta_seen = False
        self.schemaversion: str | None = None
        self.schema: str | None = None
        self.orgs_seen = False
        self.default: str | None = None
        self.org_ids: set[str | None] = set()
        self.ids: set[str] = set()
        self.other_ids: set[str] = set()
        self.repeated_id = False
        """An xs:ID value seen twice: libxml2 finds that only in a whole tree (``_streamed``)."""
        self.duplicates: list[str] = []
        self.resources: dict[str | None, _Resource] = {}
        self.open_resources: list[_Resource] = []
        self.items: list[list[object]] = []
        self.open_items: list[list[object] | None] = []
        self.dependencies: list[str | None] = []
        self.texts: dict[str, list[tuple[int, str]]] = {"title": [], "location": [], "id": [], "ms": []}
        self.starts: list[int] = []
        self.objective_ids: list[str | None] = []
        self.map_ids: list[str | None] = []
        self.tags = _Tags(self.cp, self.adlcp)

    def q(self, tag: str) -> str:
        return f"{{{self.cp}}}{tag}"

    def feed(self, event: str, el: etree._Element) -> None:
        if event == "start":
            self._start(el)
        else:
            self._end(el)

    def _start(self, el: etree._Element) -> None:
        tag = el.tag
        # The namespace and local name ``etree.QName(el)`` gives, read off the "{ns}local" string
        # (a QName object per element was a tenth of the check of a 2,000-unit manifest).
        if type(tag) is str:
            ns, _, local = tag[1:].partition("}") if tag[:1] == "{" else (None, "", tag)
        else:
            qname = etree.QName(el)
            ns, local = qname.namespace, qname.localname
        if self.depth == 0:
            self.root_ns = ns
        # --- prefixes (Moodle matches literal names)
        if ns == self.cp:
            if el.prefix is not None:
                self.prefix.append(
                    (f"IMS CP element <{el.prefix}:{local}> must be unprefixed", "scorm.prefix")
                )
        elif ns in REQUIRED_PREFIX and el.prefix != REQUIRED_PREFIX[ns]:
            self.prefix.append(
                (f"element {local} in {ns} must use the prefix {REQUIRED_PREFIX[ns]}:", "scorm.prefix")
            )
        for attr in el.attrib:
            if attr[:1] != "{":
                continue  # no namespace
            ans = attr[1 : attr.index("}")]
            if ans in REQUIRED_PREFIX:
                prefix = next((p for p, u in el.nsmap.items() if u == ans), None)
                if prefix != REQUIRED_PREFIX[ans]:
                    self.prefix.append(
                        (f"attribute {attr} must use the prefix {REQUIRED_PREFIX[ans]}:", "scorm.prefix")
                    )
        # --- identifiers
        ident = el.get("identifier")
        if ident is not None:
            if ident in self.ids:
                self.duplicates.append(ident)
            self.repeated_id |= ident in self.ids or ident in self.other_ids
            self.ids.add(ident)
        other = el.get("ID")  # imsss:sequencing/@ID, the schemas' other xs:ID attribute
        if other is not None:
            self.repeated_id |= other in self.ids or other in self.other_ids
            self.other_ids.add(other)
        t = self.tags
        if self.depth == 1 and tag == t.metadata and not self.meta_seen:
            self.meta_seen, self.meta_depth = True, self.depth
        elif self.depth == 1 and tag == t.organizations and not self.orgs_seen:
            self.orgs_seen, self.default = True, el.get("default")
        if tag == t.organization:
            self.org_ids.add(ident)
        elif tag == t.resource:
            res = _Resource(ident, dict(el.attrib))
            self.resources[ident] = res  # the last of a repeated identifier, at the first one's place
            self.open_resources.append(res)
        elif tag == t.file:
            for res in self.open_resources:  # a <file> belongs to every <resource> around it
                res.files.append(el.get("href") or "")
        elif tag == t.dependency:
            self.dependencies.append(el.get("identifierref"))
        elif tag in (_OBJECTIVE, _PRIMARY_OBJECTIVE):
            self.objective_ids.append(el.get("objectiveID"))
        elif tag == _MAP_INFO:
            self.map_ids.append(el.get("targetObjectiveID"))
        if tag == t.item:
            parent = self.open_items[-1] if self.open_items else None
            if parent is not None:
                parent[2] = True  # it has an <item> child: not a leaf
            entry: list[object] = [ident, el.get("identifierref"), False]
            self.items.append(entry)
            self.open_items.append(entry)
        else:
            self.open_items.append(None)
        self.starts.append(self.seq)
        self.seq += 1
        self.depth += 1

    def _end(self, el: etree._Element) -> None:
        self.depth -= 1
        seq = self.starts.pop()
        self.open_items.pop()
        tag = el.tag
        t = self.tags
        if tag == t.resource:
            self.open_resources.pop()
        elif tag == t.title:
            self.texts["title"].append((seq, el.text or ""))
        elif tag == t.location:
            self.texts["location"].append((seq, el.text or ""))
        elif tag == _LOM_ID:
            self.texts["id"].append((seq, el.text))  # type: ignore[arg-type]
        elif tag == _MASTERY_SCORE:
            self.texts["ms"].append((seq, el.text))  # type: ignore[arg-type]
        if self.meta_depth is not None and self.depth == self.meta_depth + 1:
            # a child of the first <metadata>: findtext gives the first one's text, "" if it has none
            if tag == t.schemaversion and self.schemaversion is None:
                self.schemaversion = el.text or ""
            elif tag == t.schema and self.schema is None:
                self.schema = el.text or ""
        if self.meta_depth is not None and self.depth == self.meta_depth:
            self.meta_depth = None

    def in_order(self, kind: str) -> list[str]:
        return [text for _, text in sorted(self.texts[kind], key=lambda pair: pair[0])]

    def findings(
        self, members: Mapping[str, Member], version: Version, edition: Edition, output: str
    ) -> list[Diagnostic]:
        """Every rule the XSDs leave open, in the order the rules were always reported."""
        diags: list[Diagnostic] = []

        def err(message: str, code: str, hint: str = "", severity: str = "error") -> None:
            diags.append(Diagnostic(output, None, None, message, hint, severity, code))  # type: ignore[arg-type]

        adlcp = self.adlcp
        for message, code in self.prefix:
            err(message, code)

        # --- schema / schemaversion
        if self.root_ns != self.cp:
            err(f"root element is not in the IMS CP namespace {self.cp}", "scorm.namespace")
        expected = SCHEMAVERSION[(version, edition)]
        sv = self.schemaversion
        if sv != expected:
            err(
                f"schemaversion is {sv!r}, expected exactly {expected!r}",
                "scorm.schemaversion",
                "Moodle treats any other value as SCORM 1.2",
            )
        if self.schema != "ADL SCORM":
            err("schema must be exactly 'ADL SCORM'", "scorm.schemaversion")

        # --- identifiers
        for ident in self.duplicates:
            err(f"identifier {ident!r} is used twice", "scorm.duplicate-id")
        resources = self.resources
        default = self.default
        if default is None or default not in self.org_ids:
            err(f"organizations/@default {default!r} does not name an organization", "scorm.unresolved-ref")
        for ident, ref, has_child in self.items:
            if ref is not None and ref not in resources:
                err(f"item {ident!r} refers to missing resource {ref!r}", "scorm.unresolved-ref")
            if ref is None and not has_child:
                err(f"leaf item {ident!r} has no identifierref", "scorm.empty-item")
        for dep in self.dependencies:
            if dep not in resources:
                err(f"dependency on missing resource {dep!r}", "scorm.unresolved-ref")

        # --- titles
        for text in self.in_order("title"):
            if len(text) > 255:
                err(f"title longer than 255 characters: {text[:40]!r}…", "scorm.title-length")
            if not text.strip():
                err("empty title", "scorm.title-length")
            if MOODLE_LOST_SPACE.search(text):
                err(
                    f"Moodle will drop a space between markup characters in title {text[:60]!r}",
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
                    f"resource {res.identifier!r}: use adlcp:{etree.QName(good).localname}", "scorm.scormtype"
                )
            if res.get(good) not in {"sco", "asset"}:
                err(
                    f"resource {res.identifier!r}: adlcp:{etree.QName(good).localname} is not sco/asset",
                    "scorm.scormtype",
                )

        # --- files
        listed: set[str] = set()
        for res in resources.values():
            base = res.get(f"{{{NS_XML}}}base") or ""
            hrefs = [res.get("href")] if res.get("href") else []
            hrefs += res.files
            for href in hrefs:
                full = base + href  # type: ignore[operator]
                if not _safe_href(full):
                    err(f"file reference {full!r} leaves the package or is absolute", "scorm.unsafe-path")
                    continue
                path = _path_only(full)
                if path not in members:
                    err(f"referenced file {path!r} is not in the package", "scorm.missing-file")
                listed.add(path)
            if res.get("href") and _path_only(base + res.get("href", "")) not in {  # type: ignore[operator]
                _path_only(base + f) for f in res.files
            }:
                err(f"resource {res.identifier!r}: its href is not listed as a <file>", "scorm.not-listed")
        locations = self.in_order("location")
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
            for oid in self.objective_ids:
                if oid is not None and not URI_RE.match(oid):
                    err(f"objectiveID {oid!r} is not a URI", "scorm.objective-id")
            for target in self.map_ids:
                if not URI_RE.match(target or ""):
                    err(f"targetObjectiveID {target!r} is not a URI", "scorm.objective-id")
            for loc in locations:
                if loc in members:
                    diags.extend(check_lom(_bytes(members[loc]), f"{output}:{loc}"))
        else:
            for taxon_id in self.in_order("id"):
                if not CMI_IDENTIFIER_RE.match(taxon_id or ""):
                    err(f"taxon id {taxon_id!r} is not a CMIIdentifier", "scorm.objective-id")
            for ms in self.in_order("ms"):
                try:
                    ok = 0 <= float(ms or "") <= 100
                except ValueError:
                    ok = False
                if not ok:
                    err(f"masteryscore {ms!r} is not a number from 0 to 100", "scorm.masteryscore")
        return diags


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
    facts = _streamed(data, version, edition)
    if facts is None:
        # libxml2 rejected the manifest while reading it, or its schema set did not compile: read
        # it whole, as before streaming, so every finding (and the validator that makes it) is
        # the same whichever way it was read.
        try:
            root = _parse(data)
        except etree.XMLSyntaxError as exc:
            err(f"imsmanifest.xml is not well-formed XML: {exc}", "scorm.xml")
            return diags
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
        facts = _Facts(version)
        for event, el in etree.iterwalk(root, events=("start", "end")):
            facts.feed(event, el)
        del root
    diags += facts.findings(members, version, edition, output)
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
