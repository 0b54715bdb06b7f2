"""Check a cmi5 package's ``cmi5.xml`` against rules written from the cmi5 specification.

The CourseStructure XSD is published only with the specification (not in any PyPI, npm or Debian
package we could find), and ``validate/`` takes schemas from package registries only; so these are
the rules of cmi5 (quartz) §13.1 (data model), §13.2 (the XSD's element order and types), §14.1
(zip package) and §3 (IRIs fully qualified), each with its section in the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from builder.archive import Member
from builder.diagnostics import Diagnostic
from builder.xmlsafe import parse

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
STRUCTURE = "cmi5.xml"
MOVE_ON = {"Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable"}
LAUNCH_METHODS = {"AnyWindow", "OwnWindow"}
AU_ATTRIBUTES = {"id", "moveOn", "masteryScore", "launchMethod", "activityType"}
_LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")  # xs:language
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_DECIMAL = re.compile(r"^[+]?(\d+(\.\d*)?|\.\d+)$")


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def is_absolute_iri(value: str) -> bool:
    """cmi5 §3: IRIs are fully qualified (scheme and, for hierarchical ones, an authority)."""
    value = value.strip()
    if not value or any(c.isspace() for c in value) or not _SCHEME.match(value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("urn", "tag", "mailto") or bool(parts.netloc)


def mastery_ok(value: str) -> bool:
    """§13.1.4: a scaled decimal in [0, 1] with up to 4 decimal places."""
    value = value.strip()
    if not _DECIMAL.match(value):
        return False
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    decimals = len(value.split(".", 1)[1].rstrip("0")) if "." in value else 0
    return 0 <= number <= 1 and decimals <= 4


def check_structure(members: Mapping[str, Member], name: str = "cmi5.zip") -> list[Diagnostic]:
    """Every rule broken by the package's course structure; an empty list means it conforms."""
    diags: list[Diagnostic] = []

    def err(message: str, el: etree._Element | None = None, code: str = "cmi5") -> None:
        line = el.sourceline if el is not None else None
        diags.append(Diagnostic(f"{name}/{STRUCTURE}", line, None, message, code=code))

    if STRUCTURE not in members:
        return [Diagnostic(name, None, None, "no cmi5.xml at the zip root (cmi5 §14.1)", code="cmi5.missing")]
    member = members[STRUCTURE]
    data = member if isinstance(member, bytes) else member.read_bytes()
    try:
        root = parse(data)
    except etree.XMLSyntaxError as e:
        return [
            Diagnostic(
                f"{name}/{STRUCTURE}", e.lineno, None, f"not well-formed XML: {e.msg}", code="cmi5.xml"
            )
        ]
    if root.tag != _q("courseStructure"):
        err(f"root must be courseStructure in namespace {NS} (§13.2), found {root.tag}", root, "cmi5.root")
        return diags

    ids: dict[str, str] = {}
    objective_ids: set[str] = set()
    idrefs: list[tuple[str, etree._Element]] = []

    def elements(el: etree._Element) -> list[etree._Element]:
        kids = [c for c in el if isinstance(c.tag, str)]
        for c in kids:
            if etree.QName(c).namespace != NS:
                err(
                    f"<{c.tag}> inside <{_local(el)}> is not in the cmi5 namespace (§13.2)",
                    c,
                    "cmi5.namespace",
                )
        return [c for c in kids if etree.QName(c).namespace == NS]

    def identify(el: etree._Element, kind: str) -> None:
        value = el.get("id")
        if value is None:
            err(f"<{kind}> has no id (§13.1)", el, "cmi5.id")
            return
        if not is_absolute_iri(value):
            err(f"<{kind}> id {value!r} is not a fully qualified IRI (§3, §13.1)", el, "cmi5.iri")
        if value in ids:
            err(
                f"id {value!r} of <{kind}> is already the id of a <{ids[value]}> (§13.1.4: unique)",
                el,
                "cmi5.unique",
            )
        ids[value] = kind

    def langstrings(el: etree._Element, what: str) -> None:
        strings = elements(el)
        if not strings or any(_local(s) != "langstring" for s in strings):
            err(
                f"<{what}> must hold one or more <langstring> and nothing else (§13.1)", el, "cmi5.langstring"
            )
        for s in strings:
            lang = s.get("lang")
            if lang is not None and not _LANGUAGE.match(lang):
                err(f"langstring lang {lang!r} is not a language tag (xs:language)", s, "cmi5.lang")
            if not (s.text or "").strip():
                err(f"<{what}> has an empty langstring", s, "cmi5.empty")

    def sequence(el: etree._Element, kids: list[etree._Element], expected: list[tuple[str, str]]) -> int:
        """Match kids against (name, occurs) with occurs "1" or "?"; returns the index after them."""
        i = 0
        for name_, occurs in expected:
            if i < len(kids) and _local(kids[i]) == name_:
                i += 1
            elif occurs == "1":
                found = _local(kids[i]) if i < len(kids) else "the end"
                err(
                    f"<{_local(el)}> needs <{name_}> here, found <{found}> (§13.2 element order)",
                    el,
                    "cmi5.order",
                )
                return len(kids)
        return i

    def title_description(kids: list[etree._Element]) -> None:
        for k in kids[:2]:
            if _local(k) in ("title", "description"):
                langstrings(k, _local(k))

    def references(el: etree._Element) -> None:
        for ref in elements(el):
            if _local(ref) != "objective" or ref.get("idref") is None:
                err(
                    "<objectives> of a block or AU holds <objective idref=…/> only (§13.1.2)",
                    ref,
                    "cmi5.idref",
                )
                continue
            idrefs.append((ref.get("idref", ""), ref))

    def au(el: etree._Element) -> None:
        identify(el, "au")
        for attr in el.attrib:
            if attr not in AU_ATTRIBUTES and not attr.startswith("{"):
                err(f"<au> has no attribute {attr!r} (§13.1.4)", el, "cmi5.attribute")
        move_on = el.get("moveOn")
        if move_on is not None and move_on not in MOVE_ON:
            err(f"moveOn {move_on!r} is not one of {', '.join(sorted(MOVE_ON))} (§13.1.4)", el, "cmi5.moveOn")
        method = el.get("launchMethod")
        if method is not None and method not in LAUNCH_METHODS:
            err(f"launchMethod {method!r} is not AnyWindow or OwnWindow (§13.1.4)", el, "cmi5.launchMethod")
        mastery = el.get("masteryScore")
        if mastery is not None and not mastery_ok(mastery):
            err(
                f"masteryScore {mastery!r} is not a decimal in [0, 1] with ≤ 4 places (§13.1.4)",
                el,
                "cmi5.mastery",
            )
        activity_type = el.get("activityType")
        if activity_type is not None and not is_absolute_iri(activity_type):
            err(f"activityType {activity_type!r} is not an IRI (§13.1.4)", el, "cmi5.iri")
        kids = elements(el)
        expected = [("title", "1"), ("description", "1"), ("objectives", "?"), ("url", "1"),
                    ("launchParameters", "?"), ("entitlementKey", "?")]  # fmt: skip
        end = sequence(el, kids, expected)
        for extra in kids[end:]:
            err(f"<au> cannot hold <{_local(extra)}> there (§13.2)", extra, "cmi5.order")
        title_description(kids)
        for k in kids:
            if _local(k) == "objectives":
                references(k)
            if _local(k) == "url":
                url_rule(k)

    def url_rule(el: etree._Element) -> None:
        url = (el.text or "").strip()
        if not url:
            err("<url> is empty (§13.1.4)", el, "cmi5.url")
            return
        parts = urlsplit(url)
        if parts.scheme:
            return  # fully qualified: content outside the package (§14.1)
        path = unquote(parts.path)
        pure = PurePosixPath(path)
        if path.startswith("/") or ".." in pure.parts:
            err(f"<url> {url!r} must be relative to the package root without '..' (§14.1)", el, "cmi5.url")
        elif path not in members:
            err(f"<url> {url!r} names no file in the package (§14.1: included media use relative URLs)", el,
                "cmi5.url")  # fmt: skip

    def block(el: etree._Element) -> None:
        identify(el, "block")
        kids = elements(el)
        start = sequence(el, kids, [("title", "1"), ("description", "1"), ("objectives", "?")])
        title_description(kids)
        for k in kids[:start]:
            if _local(k) == "objectives":
                references(k)
        content(el, kids[start:])

    def content(parent: etree._Element, kids: list[etree._Element]) -> None:
        if not kids:
            err(f"<{_local(parent)}> holds no <au> or <block> (§13.2)", parent, "cmi5.empty")
        for k in kids:
            if _local(k) == "au":
                au(k)
            elif _local(k) == "block":
                block(k)
            else:
                err(
                    f"<{_local(k)}> is out of place in <{_local(parent)}> (§13.2 element order)",
                    k,
                    "cmi5.order",
                )

    kids = elements(root)
    if not kids or _local(kids[0]) != "course":
        err("courseStructure must start with <course> (§13.2)", root, "cmi5.order")
        return diags
    course = kids[0]
    identify(course, "course")
    course_kids = elements(course)
    sequence(course, course_kids, [("title", "1"), ("description", "1")])
    title_description(course_kids)
    rest = kids[1:]
    if rest and _local(rest[0]) == "objectives":
        for obj in elements(rest[0]):
            if _local(obj) != "objective":
                err(f"<objectives> holds <objective> only, found <{_local(obj)}>", obj, "cmi5.order")
                continue
            identify(obj, "objective")
            objective_ids.add(obj.get("id", ""))
            obj_kids = elements(obj)
            sequence(obj, obj_kids, [("title", "1"), ("description", "1")])
            title_description(obj_kids)
        rest = rest[1:]
    content(root, rest)
    for ref, el in idrefs:
        if ref not in objective_ids:
            err(
                f"objective idref {ref!r} names no objective declared in <objectives> (§13.1.3)",
                el,
                "cmi5.idref",
            )
    return diags
