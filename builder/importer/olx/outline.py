"""The course tree: pointers resolved, then chapters, sequentials and verticals into the source outline.

Pointer tags (``<tag url_name="…"/>`` and nothing else) are loaded from ``<tag>/<url_name>.xml``
(``:`` in a url_name is a sub-folder, as in Open edX) through :class:`Export`, which refuses any
name that would leave the export. Each component of a vertical becomes a part of its unit:
``prose``/``raw-html`` from html, ``problem`` and ``video`` blocks, or an ``olx`` pass-through
holding the element with its children inlined.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from builder.importer.olx import html as html_convert
from builder.importer.olx.capa import NotConvertible, ProblemReader
from builder.importer.olx.competences import OutcomeIndex
from builder.importer.olx.course import apply_policy, iso, parse_date
from builder.importer.olx.errors import ImportRefused
from builder.importer.olx.files import Export
from builder.importer.olx.ids import Ids
from builder.importer.olx.report import ImportReport
from builder.importer.olx.static import StaticFiles
from builder.importer.olx.video import read_video

MAX_DEPTH = 12
BLOCK_CONTAINERS = frozenset(
    {"course", "chapter", "sequential", "vertical", "library_content", "split_test", "conditional",
     "itembank", "randomize"}
)  # fmt: skip
"""Blocks whose children are blocks (and may be pointers); every other block's children are its
own markup (a problem's responses, an ORA's rubric) and are never read as pointers."""


@dataclass
class UnitOut:
    id: str
    title: str
    outcomes: list[str]
    parts: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class SubsectionOut:
    id: str
    title: str
    format: str | None
    due: str | None
    units: list[UnitOut]


@dataclass
class SectionOut:
    id: str
    title: str
    subsections: list[SubsectionOut]


def is_pointer(el: etree._Element) -> bool:
    return (
        isinstance(el.tag, str)
        and set(el.attrib) == {"url_name"}
        and len(el) == 0
        and not (el.text or "").strip()
    )


class TreeLoader:
    def __init__(self, export: Export, report: ImportReport, policy: dict[str, Any]):
        self.export = export
        self.report = report
        self.policy = policy

    def load(self, el: etree._Element, depth: int = 0, trail: tuple[str, ...] = ()) -> etree._Element | None:
        """``el`` with every pointer below it replaced by the element it points to."""
        if depth > MAX_DEPTH:
            raise ImportRefused(
                f"{el.tag}/{el.get('url_name')}", f"blocks nest deeper than {MAX_DEPTH} levels"
            )
        if is_pointer(el):
            url = el.get("url_name", "")
            key = f"{el.tag}/{url}"
            if key in trail:
                raise ImportRefused(key, "points back to itself through its children", "fix the export")
            parts = url.split(":")
            path = self.export.path(el.tag, *parts[:-1], parts[-1] + ".xml", where=key)
            if not path.is_file():
                self.report.drop(
                    key, f"<{el.tag}>", f"its file {self.export.rel(path)} is missing from the export"
                )
                return None
            loaded = self.export.xml(path)
            if loaded.tag != el.tag:
                raise ImportRefused(self.export.rel(path), f"holds <{loaded.tag}>, expected <{el.tag}>")
            loaded.set("url_name", url)
            el, trail = loaded, (*trail, key)
        else:
            el = copy.deepcopy(el)
        entry = self.policy.get(f"{el.tag}/{el.get('url_name')}")
        if isinstance(entry, dict):
            attrs = dict(el.attrib)
            apply_policy(attrs, entry)
            el.attrib.clear()
            el.attrib.update(attrs)
        if el.tag not in BLOCK_CONTAINERS:
            return el  # a component: its children are its own markup, never pointers to resolve
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            loaded_child = self.load(child, depth + 1, trail)
            if loaded_child is None:
                el.remove(child)
            elif loaded_child is not child:
                el.replace(child, loaded_child)
        return el


class OutlineReader:
    def __init__(
        self,
        export: Export,
        report: ImportReport,
        ids: Ids,
        static: StaticFiles,
        outcomes: OutcomeIndex,
        grader_types: list[str],
    ):
        self.export = export
        self.report = report
        self.ids = ids
        self.static = static
        self.outcomes = outcomes
        self.grader_types = grader_types
        self.problems = ProblemReader(static, report)
        self.html_ids_dropped = 0

    def sections(self, course: etree._Element) -> list[SectionOut]:
        tagged = [
            f"{el.tag}/{el.get('url_name')}"
            for el in course.iter("chapter", "sequential")
            if self.outcomes.outcomes(el.tag, el.get("url_name") or "")
        ]
        if tagged:
            self.report.notes.append(
                f"tags on {len(tagged)} sections/subsections are not kept as such: the OLX build tags "
                "them with the outcomes of their units"
            )
        out = []
        for chapter in self._children(course, "chapter", "course"):
            sid = self.ids.claim("section", chapter.get("url_name"), f"section-{len(out) + 1}")
            subs = [
                self._subsection(seq, n)
                for n, seq in enumerate(self._children(chapter, "sequential", sid), 1)
            ]
            subs = [s for s in subs if s is not None]
            if not subs:
                self.report.drop(f"chapter/{chapter.get('url_name')}", "section", "it has no units")
                continue
            out.append(SectionOut(sid, self._title(chapter, "Section"), subs))
        return out

    def _children(self, parent: etree._Element, tag: str, where: str) -> list[etree._Element]:
        kept = []
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            self.report.found[child.tag] += 1
            if child.tag == tag:
                kept.append(child)
            else:
                what = f"<{child.tag}> {child.get('url_name') or ''}".strip()
                self.report.drop(where, what, f"only <{tag}> is carried at this level of the outline")
        return kept

    @staticmethod
    def _title(el: etree._Element, fallback: str) -> str:
        return " ".join((el.get("display_name") or "").split())[:255] or fallback

    def _subsection(self, seq: etree._Element, n: int) -> SubsectionOut | None:
        url = seq.get("url_name")
        sid = self.ids.claim("subsection", url, f"subsection-{n}")
        where = f"sequential/{url}"
        fmt = (seq.get("format") or "").strip() or None
        if fmt and seq.get("graded", "true").lower() == "false":
            fmt = None
        if fmt and fmt not in self.grader_types:
            self.report.drop(where, f"format {fmt}", "it is not a grader type of the grading policy")
            fmt = None
        due_date = parse_date(seq.get("due"))
        due = iso(due_date) if due_date and fmt else None
        if due_date and not fmt:
            self.report.drop(where, f"due {iso(due_date)}", "a due date needs a graded format")
        units = [self._unit(v, i) for i, v in enumerate(self._children(seq, "vertical", sid), 1)]
        units = [u for u in units if u is not None]
        if not units:
            self.report.drop(where, "subsection", "it has no units")
            return None
        return SubsectionOut(sid, self._title(seq, "Subsection"), fmt, due, units)

    def _unit(self, vertical: etree._Element, n: int) -> UnitOut | None:
        url = vertical.get("url_name") or ""
        uid = self.ids.claim("unit", url, f"unit-{n}")
        self.outcomes.tags.read_attrs("vertical", url, dict(vertical.attrib))
        unit = UnitOut(uid, self._title(vertical, "Unit"), self.outcomes.outcomes("vertical", url))
        for i, comp in enumerate(vertical, 1):
            if isinstance(comp.tag, str):
                self._component(unit, comp, i)
        if not unit.parts:
            self.report.drop(f"vertical/{url}", "unit", "it has no content")
            unit.parts.append(("prose", f"*{unit.title}*"))
        return unit

    def _component(self, unit: UnitOut, comp: etree._Element, n: int) -> None:
        url = comp.get("url_name") or ""
        where = f"{comp.tag}/{url}"
        if comp.tag == "html":
            self.report.found["html"] += 1
            self.html_ids_dropped += 1
            converted = html_convert.convert(self._html_source(comp, where), self.static, self.report, where)
            if converted is None:
                self.report.drop(where, "html", "it is empty")
                return
            self.report.converted[converted.kind] += 1
            unit.parts.append((converted.kind, converted.text))
            return
        if comp.tag == "problem":
            kinds = sorted(
                {el.tag for el in comp.iter() if isinstance(el.tag, str) and el.tag.endswith("response")}
            )
            self.report.found[f"problem ({', '.join(kinds) or 'no response'})"] += 1
            pid = self.ids.claim("problem", url, f"{unit.id}-problem-{n}")
            self.outcomes.tags.read_attrs("problem", url, dict(comp.attrib))
            try:
                data = self.problems.read(comp, pid, where)
            except NotConvertible as exc:
                self._passthrough(unit, comp, pid, where, str(exc))
                return
            assesses = self.outcomes.outcomes("problem", url)
            if assesses:
                data["assesses"] = assesses
            self.report.converted[f"problem:{data['type']}"] += 1
            unit.parts.append(("problem", data))
            return
        if comp.tag == "video":
            self.report.found["video"] += 1
            vid = self.ids.claim("video", url, f"{unit.id}-video-{n}")
            try:
                data = read_video(comp, vid, self.static, self.report, where)
            except NotConvertible as exc:
                self._passthrough(unit, comp, vid, where, str(exc))
                return
            self.report.converted["video"] += 1
            unit.parts.append(("video", data))
            return
        self.report.found[comp.tag] += 1
        bid = self.ids.claim(comp.tag, url, f"{unit.id}-{comp.tag}-{n}")
        self._passthrough(unit, comp, bid, where, f"<{comp.tag}> has no coursepack equivalent")

    def _html_source(self, comp: etree._Element, where: str) -> str:
        filename = (comp.get("filename") or "").strip()
        if filename:
            name = filename if filename.endswith(".html") else f"{filename}.html"
            path = self.export.path("html", *name.split("/"), where=where)
            if path.is_file():
                return self.export.read_text(path)
            self.report.drop(where, "html", f"its file html/{name} is missing from the export")
            return ""
        return html_convert.inner(comp)

    def _passthrough(self, unit: UnitOut, comp: etree._Element, bid: str, where: str, reason: str) -> None:
        element = copy.deepcopy(comp)
        element.set("url_name", bid)
        element.attrib.pop("tags-v1", None)
        url = comp.get("url_name") or ""
        if self.outcomes.outcomes(comp.tag, url):
            self.report.drop(where, "outcome tags", "tags of a pass-through block are not carried")
        xml = etree.tostring(element, encoding="unicode")
        xml = self.static.rewrite(xml, where)
        unit.parts.append(("olx", xml))
        self.report.passed(where, f"<{comp.tag}> {bid}", reason)
