"""``scorm._Facts`` reads each element's namespace off its tag string and compares with qualified
tags made once per manifest; these tests hold it to the element-by-element reading it replaced
(``_ReferenceFacts``, the earlier code verbatim) on every manifest of the corpus: the same facts,
hence the same findings, streamed or read whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from builder.validate import scorm
from builder.validate.scorm import NS_ADLCP12, NS_IMSMD, NS_IMSSS, REQUIRED_PREFIX, _Facts, _Resource
from tests.validate.test_scorm_check import package
from tests.validate.test_scorm_stream import ALL, _broken


class _ReferenceFacts(_Facts):
    """``_Facts`` with its start and end handlers as they were (``etree.QName`` per element)."""

    def _start(self, el: etree._Element) -> None:
        tag = el.tag
        qname = etree.QName(el)
        ns = qname.namespace
        if self.depth == 0:
            self.root_ns = ns
        # --- prefixes (Moodle matches literal names)
        if ns == self.cp and el.prefix is not None:
            self.prefix.append(
                (f"IMS CP element <{el.prefix}:{qname.localname}> must be unprefixed", "scorm.prefix")
            )
        elif ns in REQUIRED_PREFIX and el.prefix != REQUIRED_PREFIX[ns]:
            self.prefix.append(
                (
                    f"element {qname.localname} in {ns} must use the prefix {REQUIRED_PREFIX[ns]}:",
                    "scorm.prefix",
                )
            )
        for attr in el.attrib:
            ans = etree.QName(attr).namespace
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
        q = self.q
        if self.depth == 1 and tag == q("metadata") and not self.meta_seen:
            self.meta_seen, self.meta_depth = True, self.depth
        elif self.depth == 1 and tag == q("organizations") and not self.orgs_seen:
            self.orgs_seen, self.default = True, el.get("default")
        if tag == q("organization"):
            self.org_ids.add(ident)
        elif tag == q("resource"):
            res = _Resource(ident, dict(el.attrib))
            self.resources[ident] = res  # the last of a repeated identifier, at the first one's place
            self.open_resources.append(res)
        elif tag == q("file"):
            for res in self.open_resources:  # a <file> belongs to every <resource> around it
                res.files.append(el.get("href") or "")
        elif tag == q("dependency"):
            self.dependencies.append(el.get("identifierref"))
        elif tag == f"{{{NS_IMSSS}}}objective" or tag == f"{{{NS_IMSSS}}}primaryObjective":
            self.objective_ids.append(el.get("objectiveID"))
        elif tag == f"{{{NS_IMSSS}}}mapInfo":
            self.map_ids.append(el.get("targetObjectiveID"))
        parent = self.open_items[-1] if self.open_items else None
        if tag == q("item"):
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
        q = self.q
        if tag == q("resource"):
            self.open_resources.pop()
        elif tag == q("title"):
            self.texts["title"].append((seq, el.text or ""))
        elif tag == f"{{{self.adlcp}}}location":
            self.texts["location"].append((seq, el.text or ""))
        elif tag == f"{{{NS_IMSMD}}}id":
            self.texts["id"].append((seq, el.text))  # type: ignore[arg-type]
        elif tag == f"{{{NS_ADLCP12}}}masteryscore":
            self.texts["ms"].append((seq, el.text))  # type: ignore[arg-type]
        if self.meta_depth is not None and self.depth == self.meta_depth + 1:
            # a child of the first <metadata>: findtext gives the first one's text, "" if it has none
            if tag == q("schemaversion") and self.schemaversion is None:
                self.schemaversion = el.text or ""
            elif tag == q("schema") and self.schema is None:
                self.schema = el.text or ""
        if self.meta_depth is not None and self.depth == self.meta_depth:
            self.meta_depth = None


def _facts(cls: type[_Facts], root: etree._Element, version: str) -> _Facts:
    facts = cls(version)
    for event, el in etree.iterwalk(root, events=("start", "end")):
        facts.feed(event, el)
    return facts


def _state(facts: _Facts) -> dict[str, object]:
    state = {k: v for k, v in vars(facts).items() if k != "tags"}
    state["resources"] = {k: (r.identifier, r.attrs, r.files) for k, r in facts.resources.items()}
    state["open_resources"] = [(r.identifier, r.attrs, r.files) for r in facts.open_resources]
    return state


@pytest.mark.parametrize(
    ("version", "edition", "why", "pairs"), ALL, ids=[f"{v}-{e}-{w}" for v, e, w, _ in ALL]
)
def test_facts_equal_the_element_by_element_reading(
    tmp_path: Path, version: str, edition: str | None, why: str, pairs: list[tuple[str, str]]
) -> None:
    members = _broken(tmp_path, version, edition, why, pairs)
    data = members["imsmanifest.xml"]
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return  # not well-formed: no facts are read
    new, old = _facts(_Facts, root, version), _facts(_ReferenceFacts, root, version)
    assert _state(new) == _state(old), why
    found = new.findings(members, version, edition, "p.zip")
    assert found == old.findings(members, version, edition, "p.zip")
    streamed = scorm._streamed(data, version, edition)  # type: ignore[arg-type]
    if streamed is not None:
        assert _state(streamed) == _state(old), why


CP12 = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"


@pytest.mark.parametrize(
    ("pairs", "version"),
    [
        ([("<organizations", '<organizations xmlns:x="urn:x" x:a="1"')], "1.2"),
        (
            [
                ("<organizations", f'<cp:organizations xmlns:cp="{CP12}"'),
                ("</organizations>", "</cp:organizations>"),
            ],
            "1.2",
        ),
        ([("<organizations", f'<organizations xmlns:ad="{ADLCP12}" ad:x="1"')], "1.2"),
        ([("<title>", '<title xmlns="urn:other">')], "1.2"),
        ([("<organizations", "<?pi x?><!-- c --><organizations")], "2004"),
        ([("<organizations", '<organizations xmlns:imsss="urn:not-imsss"')], "2004"),
    ],
)
def test_prefixes_and_foreign_namespaces_read_the_same(
    tmp_path: Path, pairs: list[tuple[str, str]], version: str
) -> None:
    members = package(tmp_path, version, "4th")
    text = members["imsmanifest.xml"].decode()
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new, 1)
    root = etree.fromstring(text.encode())
    new_facts, old_facts = _facts(_Facts, root, version), _facts(_ReferenceFacts, root, version)
    assert _state(new_facts) == _state(old_facts)
