"""Reading files of the extracted export: paths built from url_names stay inside it, XML has no DTD.

Names inside the export (``url_name``, ``filename``, ``course_image``, transcript names) are data
from the export, so every path built from one is checked to stay under the course folder before
it is opened, and every XML file is refused outright if it declares a DOCTYPE or an entity (the
parser also never expands entities nor loads DTDs or anything from the network: no XXE).
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from builder import xmlsafe
from builder.importer.olx.errors import ImportRefused

MAX_XML_BYTES = 20 * 1024 * 1024
"""One XML or HTML file of a course; Studio's biggest problem files are a few hundred KB."""

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_NAME = re.compile(r"^[^/\\\x00-\x1f]+$")


class Export:
    """The course folder of an extracted export (the one holding ``course.xml``)."""

    def __init__(self, root: Path):
        self.root = root
        self.real = root.resolve()

    def path(self, *parts: str, where: str = "") -> Path:
        """``root/parts…``, refused when a part is empty, has a separator or ``..``, or the path escapes."""
        for part in parts:
            if not part or part in (".", "..") or not _NAME.match(part):
                raise ImportRefused(where or "/".join(parts), f"unsafe name `{part}` in the export")
        path = self.root.joinpath(*parts)
        try:
            path.resolve().relative_to(self.real)
        except ValueError:
            raise ImportRefused(where or "/".join(parts), "path escapes the export") from None
        if path.is_symlink():
            raise ImportRefused(self.rel(path), "symbolic links are not allowed in an export")
        return path

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def read_bytes(self, path: Path) -> bytes:
        size = path.stat().st_size
        if size > MAX_XML_BYTES:
            raise ImportRefused(
                self.rel(path), f"{size} bytes is too large for a course file", f"cap {MAX_XML_BYTES}"
            )
        return path.read_bytes()

    def read_text(self, path: Path) -> str:
        return self.read_bytes(path).decode("utf-8-sig", errors="replace")

    def xml(self, path: Path) -> etree._Element:
        data = self.read_bytes(path)
        if _DECLARATION.search(data):
            raise ImportRefused(
                self.rel(path),
                "declares a DOCTYPE or entities",
                "OLX needs none; refusing (XXE and entity bombs)",
            )
        try:
            return xmlsafe.parse(data)
        except etree.XMLSyntaxError as exc:
            raise ImportRefused(self.rel(path), f"is not well-formed XML: {exc}") from None
