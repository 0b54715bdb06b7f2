"""``coursepack new``: a small course that builds and checks cleanly, to start from.

The files are ordinary package data (``builder/scaffold_files``), copied as they are, plus a
course image drawn here so that no binary file has to live in the repository twice, and the
editor wiring: the JSON Schemas in ``.coursepack/schemas/``, a ``# yaml-language-server: $schema=``
line in each YAML file (relative paths, no network; the language server reads it anywhere, so it
goes last and the line numbers in messages stay those of the scaffold) and ``.vscode/settings.json``.
"""

from __future__ import annotations

import struct
import zlib
from importlib.resources import files
from pathlib import Path

from builder.editor_schemas import SCHEMA_DIR, modeline, vscode_settings, write_schemas

YAML_SCHEMAS = {
    "course.yaml": "course",
    "competences.yaml": "competences",
    "section.yaml": "section",
    "subsection.yaml": "subsection",
    "session.yaml": "session",
    "index.yaml": "handbook",
}
"""Scaffold YAML file name → its schema, named in the file's first line for the editor."""


def scaffold(dest: Path) -> list[Path]:
    root = files("builder") / "scaffold_files"
    written: list[Path] = []

    def copy(node, rel: Path) -> None:  # type: ignore[no-untyped-def]
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                copy(child, rel / child.name)
            elif child.name.endswith(".tmpl"):
                target = dest / rel / child.name.removesuffix(".tmpl")
                target.parent.mkdir(parents=True, exist_ok=True)
                data = child.read_bytes()
                schema = YAML_SCHEMAS.get(target.name)
                if schema:  # last, so the lines authors are told about keep their numbers
                    data = data.rstrip(b"\n") + b"\n" + modeline(schema, len(rel.parts)).encode("utf-8")
                target.write_bytes(data)
                written.append(target)

    copy(root, Path())
    written += write_schemas(dest / SCHEMA_DIR)
    settings = dest / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(vscode_settings(), encoding="utf-8")
    written.append(settings)
    image = dest / "static" / "images" / "course-image.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(_png(480, 270, (31, 78, 121)))
    written.append(image)
    return written


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain one-colour PNG: enough for a placeholder course image."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
