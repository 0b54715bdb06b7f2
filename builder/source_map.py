"""Point findings about generated files back at the source file and line an author can edit.

Validators see the outputs (``course/vertical/u1.xml``, a manifest's ``ITEM-u1``); authors edit
``outline/…/01-welcome.md``. Every generated name carries the model id it came from (url_names are
ids, SCORM identifiers are ``ITEM-<id>``/``RES-<id>``, SCO pages ``sco/<id>.html``), and the model
records where each id is defined, so the id found in a finding's member path, message or offending
manifest line leads back to the source. The generated location stays in the message.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path, PurePosixPath

from builder.diagnostics import Diagnostic
from builder.model import Course
from builder.targets import Output

SCORM_ID = re.compile(r"\b(?:ITEM|RES)-([A-Za-z0-9][A-Za-z0-9_.-]*)")
URL_NAME = re.compile(r"url_name='([^']+)'")
AT_LINE = re.compile(r"\bline (\d+)\b")
COURSE_WIDE = ("course.xml", "course/", "policies/", "about/", "info/", "tabs/")
"""OLX files made from course.yaml as a whole."""


class SourceMap:
    """Where each id of one course is defined, and how to find the id a finding is about."""

    def __init__(self, course: Course):
        self.where: dict[str, tuple[str, int | None]] = {}
        positions = course.positions
        for section in course.sections:
            self.where[section.id] = positions.get(section.id, ("course.yaml", None))
            for sub in section.subsections:
                self.where[sub.id] = positions.get(sub.id, self.where[section.id])
                for unit in sub.units:
                    # positions may also hold a competence unit with the same id: trust unit.source.
                    pos = positions.get(unit.id)
                    self.where[unit.id] = (unit.source, pos[1] if pos and pos[0] == unit.source else 1)
                    for comp in unit.components:
                        cpos = positions.get(comp.id)
                        line = getattr(comp, "line", 0) or None
                        self.where[comp.id] = (
                            cpos if cpos and cpos[0] == unit.source else (unit.source, line or 1)
                        )

    @classmethod
    def of(cls, course: Course) -> SourceMap:
        """The map of ``course``, made once per course in this process (models are not changed once
        loaded): every target whose checks found something asks for it, and it walks every unit and
        component (~0.02 s at 2,000 units)."""
        if not _LAST or _LAST[0][0] is not course:
            _LAST[:] = [(course, cls(course))]
        return _LAST[0][1]

    def place(self, ident: str) -> tuple[str, int | None] | None:
        return self.where.get(ident)

    def locate(self, diag: Diagnostic, output: Output) -> Diagnostic:
        """``diag`` (about ``output``) re-anchored at its source; unchanged if no id leads there."""
        member, line = _member_of(diag.file, output)
        generated = f"{output.filename}:{member}" if member else output.filename
        if line:
            generated += f":{line}"
        message = f"{diag.message} (in {generated})"  # one ``replace`` per finding: thousands of them
        for ident in self._ids(diag, output, member, line):
            place = self.place(ident)
            if place is not None:
                return replace(diag, message=message, file=place[0], line=place[1], column=None)
        if member and member.split("/", 1)[-1].startswith(COURSE_WIDE):
            return replace(diag, message=message, file="course.yaml", line=None, column=None)
        return replace(diag, message=message, file=generated, line=None, column=None)

    def _ids(self, diag: Diagnostic, output: Output, member: str, line: int | None) -> list[str]:
        """Candidate ids, most specific first: named in the message, then the member, then its line."""
        found = SCORM_ID.findall(diag.message) + URL_NAME.findall(diag.message)
        if member:
            path = PurePosixPath(member)
            course_wide = member.split("/", 1)[-1].startswith(COURSE_WIDE)
            if path.suffix in {".xml", ".html"} and path.name != "imsmanifest.xml" and not course_wide:
                stem = path.stem
                found.append(stem[len("ITEM-") :] if stem.startswith("ITEM-") else stem)
            if path.name == "tags.csv" and line:
                found += _tags_row_id(output, member, line)
        if member.endswith("imsmanifest.xml") or (not member and "imsmanifest.xml" in diag.message):
            m = AT_LINE.search(diag.message)
            if m:
                found += _manifest_owner(output, int(m.group(1)))
        return found


_LAST: list[tuple[Course, SourceMap]] = []


def _member_of(file: str, output: Output) -> tuple[str, int | None]:
    """Split a finding's file (``course/tags.csv:3``, ``pkg.zip:sco/u.html``, ``pkg.zip``) into parts."""
    name = file
    if name.startswith(f"{output.filename}:"):
        name = name[len(output.filename) + 1 :]
    elif name == output.filename:
        return "", None
    line = None
    stem, _, tail = name.rpartition(":")
    if stem and tail.isdigit():
        name, line = stem, int(tail)
    return name, line


def _text(output: Output, member: str) -> str:
    data = output.members.get(member)
    if data is None:
        return ""
    return (data.read_bytes() if isinstance(data, Path) else data).decode("utf-8", errors="replace")


def _tags_row_id(output: Output, member: str, line: int) -> list[str]:
    rows = list(csv.reader(io.StringIO(_text(output, member))))
    row = rows[line - 1] if 0 < line <= len(rows) else []
    return [row[2]] if len(row) > 2 else []


IDENTIFIER_ATTR = re.compile(r'identifier(?:ref)?="(?:ITEM|RES)-([A-Za-z0-9][A-Za-z0-9_.-]*)"')


def _manifest_owner(output: Output, line: int) -> list[str]:
    """The item or resource whose markup holds (or precedes) ``line`` of the manifest."""
    lines = _text(output, "imsmanifest.xml").splitlines()
    for text in reversed(lines[:line]):
        m = IDENTIFIER_ATTR.search(text)
        if m:
            return [m.group(1)]
    return []
